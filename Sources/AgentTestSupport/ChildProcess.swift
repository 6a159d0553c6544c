import Foundation

/// A program started by a test, with its output captured in files.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let stdoutURL: URL
    private let stderrURL: URL

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
        stdoutURL = URL(fileURLWithPath: "\(outputDirectory)/\(name).out")
        stderrURL = URL(fileURLWithPath: "\(outputDirectory)/\(name).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(stdin)
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for the process to end; kills it and returns `nil` after `timeout`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                kill(pid, SIGKILL)
                return nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
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
