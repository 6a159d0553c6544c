import AgentTestSupport
import AgentWorkspaceGuard
import Foundation

/// The real git (2.39 here) as the reference for how a configuration file reads:
/// `git config --file F --null --list`, with no system or global configuration.
final class GitOracle: @unchecked Sendable {
    private let scratch: TemporaryDirectory
    private var counter = 0

    init() throws {
        scratch = try TemporaryDirectory(prefix: "oracle")
    }

    /// The settings git reads from `bytes`, in order; `nil` when git refuses the file.
    func settings(of bytes: [UInt8]) async throws -> [GitConfigSetting]? {
        counter += 1
        let path = scratch.sub("config-\(counter)")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let child = try ChildProcess(
            "/usr/bin/git", ["config", "--file", path, "--null", "--list"],
            environment: ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"],
            outputDirectory: scratch.path)
        guard await child.wait() == 0 else { return nil }
        return child.stdoutBytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { record in
            let bytes = Array(record)
            guard let newline = bytes.firstIndex(of: 0x0A) else { return GitConfigSetting(name: bytes, value: nil) }
            return GitConfigSetting(name: Array(bytes[..<newline]), value: Array(bytes[(newline + 1)...]))
        }
    }
}
