/// Names shared by the agent and its clients, so that neither spells a key by hand.
public enum Wire {
    public enum Key {
        public static let operation = "operation"
        public static let status = "status"
        public static let code = "code"
        public static let message = "message"
        public static let progress = "progress"
        public static let url = "url"
        public static let gitDirectory = "git_dir"
        public static let want = "want"
        public static let refspec = "refspec"
        public static let lease = "cas"
        public static let dryRun = "dry_run"
        public static let atomic = "atomic"
        public static let reference = "ref"
        public static let head = "head"
        public static let ok = "ok"
        public static let error = "error"
    }

    public enum Status {
        public static let ok = "ok"
        public static let error = "error"
        public static let denied = "denied"
    }

    public enum Operation {
        public static let status = "status"
        public static let list = "list"
        public static let fetch = "fetch"
        public static let push = "push"
    }

    /// Socket file names inside `AGENT_SOCKET_DIR`.
    public static let gitSocketName = "git.sock"
    public static let ghSocketName = "gh.sock"
    public static let defaultSocketDirectory = "/run/agent"
}

extension Frame {
    /// A final error reply.
    public static func error(code: String, message: String, status: String = Wire.Status.error) -> Frame {
        Frame([Field(Wire.Key.status, status), Field(Wire.Key.code, code), Field(Wire.Key.message, message)])
    }

    /// Whether this is an interim progress frame rather than a final reply.
    public var isProgress: Bool { kind == Wire.Key.progress }
}
