/// The agent's version, reported by `status`.
public enum AgentVersion {
    public static let current = "0.1.0"
}
