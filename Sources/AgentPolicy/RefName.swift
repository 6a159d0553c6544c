/// A destination ref after normalisation: what the policy decides about.
///
/// `main`, `heads/main` and `refs/heads/main` all name the branch `refs/heads/main`; `tags/v1` and
/// `refs/tags/v1` name the tag `refs/tags/v1`. Anything else that starts with `refs/` keeps its name
/// and is outside the writable namespaces. Comparison is exact and case-sensitive on `fullName`.
public struct RefName: Hashable, Sendable, CustomStringConvertible {
    /// What kind of ref this is.
    public enum Kind: Hashable, Sendable {
        case branch
        case tag
        /// Anything outside `refs/heads/` and `refs/tags/` (`HEAD`, `refs/notes/x`, `refs/pull/1/head`).
        case other
    }

    /// The full name, for example `refs/heads/main`.
    public let fullName: String
    public let kind: Kind

    /// The name without its namespace (`main` for `refs/heads/main`); the full name for `.other`.
    public var shortName: String {
        switch kind {
        case .branch: fullName.droppingBytePrefix(RefName.branchPrefix)
        case .tag: fullName.droppingBytePrefix(RefName.tagPrefix)
        case .other: fullName
        }
    }

    public var description: String { fullName }

    static let branchPrefix = "refs/heads/"
    static let tagPrefix = "refs/tags/"
    /// Longer names are refused outright: git has no such limit, but no real branch needs more.
    public static let maximumLength = 1024

    /// Normalises and validates a ref as a user or a client named it.
    ///
    /// Example: `RefName.parse("heads/main")` is `.success(refs/heads/main, .branch)`;
    /// `RefName.parse("refs/heads//main")` fails with `.invalid(..., "it contains '//'")`.
    public static func parse(_ raw: String) -> Result<RefName, RefNameProblem> {
        if raw.isEmpty { return .failure(.invalid(name: raw, rule: "it is empty")) }
        if raw.utf8.count > maximumLength {
            return .failure(.invalid(name: String(raw.prefix(64)) + "…", rule: "it is longer than \(maximumLength) bytes"))
        }
        if raw == "HEAD" || raw == "@" { return .failure(.outsideNamespace(name: raw)) }
        let full: String
        if raw.hasBytePrefix("refs/") {
            full = raw
        } else if raw.hasBytePrefix("heads/") || raw.hasBytePrefix("tags/") {
            full = "refs/" + raw
        } else {
            full = branchPrefix + raw
        }
        // The name as given first, so that the message speaks of what the user wrote.
        if let rule = RefFormat.violation(in: raw) ?? RefFormat.violation(in: full) {
            return .failure(.invalid(name: raw, rule: rule))
        }
        if full.hasBytePrefix(branchPrefix) {
            if full.droppingBytePrefix(branchPrefix) == "HEAD" { return .failure(.invalid(name: raw, rule: "a branch cannot be called 'HEAD'")) }
            return .success(RefName(fullName: full, kind: .branch))
        }
        if full.hasBytePrefix(tagPrefix) {
            return .success(RefName(fullName: full, kind: .tag))
        }
        return .failure(.outsideNamespace(name: raw))
    }
}

extension RefName {
    /// A branch as GitHub takes it in a field or route that names a branch by its short name
    /// (a contents `branch`, a pull request's `base`, a new branch's `name`, a rename's
    /// `new_name`): literally, so `heads/x` is the branch `heads/x`. Names that begin like a ref
    /// (`refs/`, `heads/`, `tags/`) are refused: `parse` would read them as another branch than
    /// the one GitHub writes.
    public static func parseBranchName(_ raw: String) -> Result<RefName, RefNameProblem> {
        if let prefix = ["refs/", "heads/", "tags/"].first(where: { raw.hasBytePrefix($0) }) {
            return .failure(.invalid(name: raw, rule: "a branch name here may not begin with '\(prefix)': GitHub takes it as it is"))
        }
        return parse(branchPrefix + raw)
    }
}

/// Why a ref name cannot be written at all.
public enum RefNameProblem: Error, Hashable, Sendable {
    /// The name breaks git's ref-name rules.
    case invalid(name: String, rule: String)
    /// The name is valid but not a branch or a tag.
    case outsideNamespace(name: String)
}

/// git's `check-ref-format` rules, applied to a full ref name.
enum RefFormat {
    /// Returns the first rule `name` breaks, worded for a message, or `nil` when it is valid.
    static func violation(in name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "/") { return "it starts with '/'" }
        if bytes.last == UInt8(ascii: "/") { return "it ends with '/'" }
        if bytes.last == UInt8(ascii: ".") { return "it ends with '.'" }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return "it contains a control character" }
            switch byte {
            case UInt8(ascii: " "): return "it contains a space"
            case UInt8(ascii: "~"), UInt8(ascii: "^"), UInt8(ascii: ":"), UInt8(ascii: "?"),
                UInt8(ascii: "*"), UInt8(ascii: "["), UInt8(ascii: "\\"):
                return "it contains '\(Character(Unicode.Scalar(byte)))'"
            case UInt8(ascii: "/") where previous == UInt8(ascii: "/"): return "it contains '//'"
            case UInt8(ascii: ".") where previous == UInt8(ascii: "."): return "it contains '..'"
            case UInt8(ascii: "{") where previous == UInt8(ascii: "@"): return "it contains '@{'"
            default: break
            }
            previous = byte
        }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            if component.utf8.first == UInt8(ascii: ".") { return "a component starts with '.'" }
            if component.utf8.reversed().starts(with: ".lock".utf8.reversed()) {
                return "a component ends with '.lock'"
            }
        }
        return nil
    }
}

extension String {
    /// Prefix test on bytes: `hasPrefix` compares Characters, so a combining mark after the
    /// prefix's last `/` would hide it.
    func hasBytePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    func droppingBytePrefix(_ prefix: String) -> String {
        hasBytePrefix(prefix) ? String(decoding: utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : self
    }
}
