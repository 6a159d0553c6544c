import AgentSystem

/// Messages for the user on standard error.
public enum StandardError {
    public static func write(_ text: String) {
        AppendOnlyFile.standardError.write(Array(text.utf8))
    }
}
