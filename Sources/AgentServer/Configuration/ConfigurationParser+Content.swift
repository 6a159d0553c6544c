import AgentPolicy

extension ConfigurationParser {
    /// `PROTECTED_PATHS` (default `.github/workflows/**` and `.github/actions/**`; `[]` turns the
    /// rule off), `SECRET_SCAN` (`block`, `warn` or `off`; default `block`) and
    /// `SECRET_SCAN_ALLOW` (paths not searched for well-known formats; default none).
    func contentRules() throws(ConfigurationError) -> ContentRules {
        var rules = ContentRules.defaults
        if let patterns = try pathPatterns("PROTECTED_PATHS") { rules.protectedPaths = patterns }
        if let patterns = try pathPatterns("SECRET_SCAN_ALLOW") { rules.secretScanAllow = patterns }
        if let text = setting("SECRET_SCAN") {
            guard let mode = ContentRules.ScanMode(rawValue: text.lowercased()) else {
                throw ConfigurationError(key: "SECRET_SCAN", problem: "expected block, warn or off, not '\(text)'")
            }
            rules.secretScan = mode
        }
        return rules
    }

    private func setting(_ key: String) -> String? {
        guard let text = environment[key]?.trimmingSpaces(), !text.isEmpty else { return nil }
        return text
    }

    private func pathPatterns(_ key: String) throws(ConfigurationError) -> [PathPattern]? {
        guard let text = setting(key) else { return nil }
        var patterns: [PathPattern] = []
        for entry in try ListValue.parse(text, key: key) {
            do {
                patterns.append(try PathPattern(entry))
            } catch {
                throw ConfigurationError(key: key, problem: error.description)
            }
        }
        return patterns
    }
}
