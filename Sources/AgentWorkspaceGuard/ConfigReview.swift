/// Which entries of a configuration file to take out: those that the baseline did not have and
/// that the allowlist refuses. The baseline's own settings stay, whatever they are.
public enum ConfigReview {
    /// An entry to quarantine and why.
    public struct Removal: Hashable, Sendable {
        public let entry: GitConfigEntry
        public let reason: String
    }

    /// - Parameters:
    ///   - document: the file as it is now.
    ///   - baseline: the settings the file had when the agent started (empty for a new file).
    /// - Returns: the entries to remove, in file order.
    public static func removals(in document: GitConfigDocument, baseline: Set<GitConfigSetting>) -> [Removal] {
        document.entries.compactMap { entry in
            if baseline.contains(entry.setting) { return nil }
            if case .quarantine(let reason) = ConfigKeyRules.verdict(for: entry.setting) {
                return Removal(entry: entry, reason: reason)
            }
            return nil
        }
    }

    /// The files a configuration makes git read (`include.path`, `includeIf.<condition>.path`),
    /// as written: git resolves a relative one against the including file's directory.
    public static func includedPaths(in settings: some Sequence<GitConfigSetting>) -> [[UInt8]] {
        settings.compactMap { setting in
            let section = String(decoding: setting.section, as: UTF8.self)
            let isInclude = (section == "include" && setting.subsection == nil) || (section == "includeif" && setting.subsection != nil)
            guard isInclude, setting.key == Array("path".utf8), let value = setting.value, !value.isEmpty else { return nil }
            return value
        }
    }
}
