/// What the agent checks in the content of a push or an API write (the `.env` keys of the same
/// names): protected paths, and secrets.
public struct ContentRules: Hashable, Sendable {
    /// `SECRET_SCAN`.
    public enum ScanMode: String, Hashable, Sendable, CaseIterable {
        /// A secret refuses the ref (or the API request).
        case block
        /// A well-known format is reported (audit line, a `remote:` line) and let through; the
        /// secrets the agent holds still refuse.
        case warn
        /// Nothing is scanned.
        case off
    }

    /// `PROTECTED_PATHS`: a change to a matching path is refused; empty turns the rule off.
    public var protectedPaths: [PathPattern]
    public var secretScan: ScanMode
    /// `SECRET_SCAN_ALLOW`: paths whose content is not searched for well-known formats (test
    /// fixtures). The secrets the agent holds are searched for everywhere.
    public var secretScanAllow: [PathPattern]
    /// Binary content (a NUL byte in its first 8,000 bytes, git's rule) larger than this is not
    /// scanned; pushes count what they skip in their audit line.
    public var maximumBinaryScanSize: Int

    public static let defaultProtectedPaths = [".github/workflows/**", ".github/actions/**"]
    public static let defaultMaximumBinaryScanSize = 4 << 20

    public init(
        protectedPaths: [PathPattern],
        secretScan: ScanMode = .block,
        secretScanAllow: [PathPattern] = [],
        maximumBinaryScanSize: Int = defaultMaximumBinaryScanSize
    ) {
        self.protectedPaths = protectedPaths
        self.secretScan = secretScan
        self.secretScanAllow = secretScanAllow
        self.maximumBinaryScanSize = maximumBinaryScanSize
    }

    /// The README's defaults: workflows and actions protected, secrets blocked.
    public static var defaults: ContentRules {
        // The default patterns are literals that always compile.
        ContentRules(protectedPaths: defaultProtectedPaths.compactMap { try? PathPattern($0) })
    }

    /// Neither rule: what the agent did before it looked at content.
    public static let disabled = ContentRules(protectedPaths: [], secretScan: .off)

    public var checksPaths: Bool { !protectedPaths.isEmpty }
    public var scansSecrets: Bool { secretScan != .off }

    /// The pattern that protects `path`: one that matches it, or one that names it as a folder
    /// (a file or link put where a protected folder was).
    public func protection(of path: some Collection<UInt8>) -> PathPattern? {
        let bytes = Array(path)
        for pattern in protectedPaths {
            if pattern.matches(bytes) { return pattern }
            if pattern.literalFolders.contains(where: { $0.utf8.elementsEqual(bytes) }) { return pattern }
        }
        return nil
    }

    public func protection(of path: String) -> PathPattern? {
        protection(of: path.utf8)
    }

    /// The pattern that protects a path a client named in an API request (`createCommitOnBranch`'s
    /// file changes, a contents route): the path as given and as GitHub may normalise it (a leading
    /// `/` or `./`, `//`, `.` and `..` segments) are both checked.
    public func protection(ofRequested path: String) -> PathPattern? {
        protection(of: path) ?? Self.normalized(path).flatMap { protection(of: $0) }
    }

    /// `path` without a leading `/`, empty and `.` segments, with `..` segments applied; `nil` when
    /// a `..` would leave the repository.
    public static func normalized(_ path: String) -> String? {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
            default: segments.append(segment)
            }
        }
        return segments.joined(separator: "/")
    }

    /// Whether well-known formats are searched for in content at a path a client named in an API
    /// request: unless the path is allowed both as given and as GitHub may normalise it
    /// (`test/fixtures/../../config/prod.env` is not a fixture).
    public func scansFormats(atRequested path: String) -> Bool {
        guard let normalized = Self.normalized(path) else { return scansFormats(at: path.utf8) }
        return scansFormats(at: path.utf8) || scansFormats(at: normalized.utf8)
    }

    /// Whether well-known formats are searched for in content at `path`.
    public func scansFormats(at path: some Collection<UInt8>) -> Bool {
        guard secretScan != .off else { return false }
        let bytes = Array(path)
        return !secretScanAllow.contains { $0.matches(bytes) }
    }
}

/// The refusals of the content rules, worded alike for git and the API.
public enum ContentDenial {
    /// `path '.github/workflows/ci.yml' is protected (PROTECTED_PATHS)`.
    public static func protectedPath(_ path: String) -> Denial {
        Denial(.pathProtected, "path '\(shown(path))' is protected (PROTECTED_PATHS)")
    }

    /// `possible secret in 'config/prod.env' line 3: GitHub token (SECRET_SCAN)`; names the kind
    /// and the place, never the secret.
    public static func secret(_ finding: SecretFinding, in place: String) -> Denial {
        Denial(.secretDetected, "possible secret in \(place) line \(finding.line): \(finding.kind) (SECRET_SCAN)")
    }

    /// `'config/prod.env'`, as a refusal shows a path: control characters escaped, at most 200
    /// characters (a client chose the path; git's helper protocol and audit lines take one line).
    public static func quoted(_ path: String) -> String {
        "'\(shown(path))'"
    }

    static func shown(_ path: String) -> String {
        var text = ""
        for scalar in path.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                text += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        return text.quotedInRefusal
    }
}
