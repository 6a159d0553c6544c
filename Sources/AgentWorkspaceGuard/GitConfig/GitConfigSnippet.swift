/// Configuration text for one setting, written the way `git config` writes it (`write_pair`),
/// so that appending it to a configuration file restores exactly that setting.
public enum GitConfigSnippet {
    /// `[section "subsection"]` then a tab-indented `key = value` line; `nil` for a name without a
    /// section (it cannot be appended to a file: it would land in the last section).
    public static func render(_ setting: GitConfigSetting) -> [UInt8]? {
        guard setting.hasSection else { return nil }
        var text: [UInt8] = [ASCII.openBracket] + setting.section
        if let subsection = setting.subsection {
            text += [ASCII.space, ASCII.quote]
            for byte in subsection {
                if byte == ASCII.quote || byte == ASCII.backslash { text.append(ASCII.backslash) }
                text.append(byte)
            }
            text.append(ASCII.quote)
        }
        text += [ASCII.closeBracket, ASCII.newline, ASCII.tab] + setting.key
        if let value = setting.value { text += Array(" = ".utf8) + quoted(value) }
        text.append(ASCII.newline)
        return text
    }

    /// git's `write_pair`: quotes around values with a leading or trailing space or a comment
    /// character; `\n`, `\t`, `"` and `\` escaped.
    static func quoted(_ value: [UInt8]) -> [UInt8] {
        let needsQuotes =
            value.first == ASCII.space || value.last == ASCII.space || value.contains(ASCII.hash) || value.contains(ASCII.semicolon)
        var text: [UInt8] = needsQuotes ? [ASCII.quote] : []
        for byte in value {
            switch byte {
            case ASCII.newline: text += [ASCII.backslash, UInt8(ascii: "n")]
            case ASCII.tab: text += [ASCII.backslash, UInt8(ascii: "t")]
            case ASCII.quote, ASCII.backslash: text += [ASCII.backslash, byte]
            default: text.append(byte)
            }
        }
        if needsQuotes { text.append(ASCII.quote) }
        return text
    }
}
