import AgentPolicy

/// What the content rules found on one ref of a push.
public enum ContentVerdict: Hashable, Sendable {
    case clean
    /// A pushed commit adds, changes, deletes or replaces this protected path.
    case protectedPath(String)
    /// A secret in content the push adds; `place` is `'path'` or `the message of commit …`.
    case secret(SecretFinding, place: String)

    /// The refusal, worded as git shows it and as the API policy words the same rule.
    public var denial: Denial? {
        switch self {
        case .clean: nil
        case .protectedPath(let path): ContentDenial.protectedPath(path)
        case .secret(let finding, let place): ContentDenial.secret(finding, in: place)
        }
    }
}

/// The content rules' findings for a whole push.
public struct ContentInspection: Sendable {
    /// One verdict per tip, in the order given.
    public var verdicts: [ContentVerdict]
    /// Well-known formats let through under `SECRET_SCAN=warn` (at most 20).
    public var warnings: [ContentWarning]
    /// Blobs whose content was scanned, and their bytes.
    public var scannedBlobs = 0
    public var scannedBytes = 0
    /// Binary blobs larger than `ContentRules.maximumBinaryScanSize`, not scanned.
    public var skippedBinaryBlobs = 0

    static let maximumWarnings = 20
}

/// A finding reported but not refused (`SECRET_SCAN=warn`).
public struct ContentWarning: Hashable, Sendable {
    public let finding: SecretFinding
    public let place: String

    /// `possible secret in 'x' line 3: GitHub token (SECRET_SCAN=warn: pushed anyway)`.
    public var message: String {
        "possible secret in \(place) line \(finding.line): \(finding.kind) (SECRET_SCAN=warn: pushed anyway)"
    }
}

/// The limits of one inspection.
public struct ContentInspectionLimits: Hashable, Sendable {
    /// Tree entries compared, in all.
    public var maximumSteps: Int
    /// Merge bases looked up for merge commits that touch a protected path; past it, such a
    /// path counts as changed.
    public var maximumMergeBaseLookups: Int

    public init(maximumSteps: Int = 20_000_000, maximumMergeBaseLookups: Int = 256) {
        self.maximumSteps = maximumSteps
        self.maximumMergeBaseLookups = maximumMergeBaseLookups
    }
}
