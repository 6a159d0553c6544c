import CTestSupportShims
import Foundation

/// A program started by a test with `posix_spawn`, its output captured in files.
///
/// Not Foundation's `Process`: swift-corelibs-foundation's `Process.run()` was seen crashing
/// (a bad read in `memmove`) while many tests launched programs at once.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private var exitStatus: Int32?

    /// Starts `executable` with exactly `environment` (nothing inherited).
    public init(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String],
        directory: String? = nil,
        stdin: Data? = nil,
        outputDirectory: String
    ) throws {
        let name = UUID().uuidString.prefix(8)
        stdoutPath = "\(outputDirectory)/\(name).out"
        stderrPath = "\(outputDirectory)/\(name).err"
        var stdinPath = "/dev/null"
        if let stdin {
            stdinPath = "\(outputDirectory)/\(name).in"
            try stdin.write(to: URL(fileURLWithPath: stdinPath))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let directory { _ = test_spawn_actions_addchdir(&actions, directory) }
        // Nothing else of the test process is inherited: a file another test has open for
        // writing (a hook being copied) would otherwise fail to execute with ETXTBSY.
        _ = test_spawn_actions_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A fresh signal mask and default dispositions: the test runner blocks some signals.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        pid = child
    }

    public var isRunning: Bool { poll() == nil }
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    /// Standard output as bytes (not necessarily UTF-8).
    public var stdoutBytes: [UInt8] { (try? Array(Data(contentsOf: URL(fileURLWithPath: stdoutPath)))) ?? [] }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The exit status (128 + N for a signal) once the process has ended, reaped without blocking.
    private func poll() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        let signal = status & 0x7F
        exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        return exitStatus
    }

    /// Waits for the process to end; kills it and returns `nil` after `timeout`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = poll() { return status }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                while poll() == nil { try? await Task.sleep(for: .milliseconds(5)) }
                return nil
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    public func signal(_ signal: Int32) {
        if poll() == nil { kill(pid, signal) }
    }

    deinit {
        if poll() == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// The result of running a program to its end.
public struct ProgramResult: Sendable {
    public let status: Int32?
    public let stdout: String
    public let stderr: String

    public var output: String { stdout + stderr }
}

extension ChildProcess {
    /// Runs a program to its end (or `timeout`) and returns what it printed.
    public static func run(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String],
        directory: String? = nil,
        stdin: Data? = nil,
        outputDirectory: String,
        timeout: Duration = .seconds(120)
    ) async throws -> ProgramResult {
        let child = try ChildProcess(
            executable, arguments, environment: environment, directory: directory, stdin: stdin, outputDirectory: outputDirectory
        )
        let status = await child.wait(timeout: timeout)
        return ProgramResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }
}
