import CAgentShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Process-wide protections for a process that holds a secret.
public enum ProcessHardening {
    /// Makes the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`: no core file, no ptrace attach
    /// by the same uid, `/proc/<pid>` owned by root) and sets `RLIMIT_CORE` to 0.
    /// - Throws: `SystemCallError` naming the call that failed.
    public static func disableCoreDumps() throws(SystemCallError) {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        try retryingSyscall("setrlimit(RLIMIT_CORE)") { setrlimit(RLIMIT_CORE_VALUE, &noCore) }
        try retryingSyscall("prctl(PR_SET_DUMPABLE)") { agent_set_dumpable(0) }
    }

    /// Whether the process is currently dumpable (`prctl(PR_GET_DUMPABLE)`).
    public static var isDumpable: Bool { agent_get_dumpable() != 0 }

    /// Ignores SIGPIPE, so that a client that hangs up mid-reply is an error on write, not death.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    #if canImport(Glibc)
        private static let RLIMIT_CORE_VALUE = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
        private static let RLIMIT_CORE_VALUE = RLIMIT_CORE
    #endif
}
