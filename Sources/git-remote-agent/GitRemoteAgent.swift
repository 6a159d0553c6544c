import AgentClient
import AgentSystem

/// git's remote helper for `agent::` URLs: `git-remote-agent <remote> <url>`, run by git.
@main
enum GitRemoteAgent {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            StandardError.write("usage: git-remote-agent <remote> [<url>] (git runs this for agent:: remotes)\n")
            exit(status: 129)
        }
        let url = arguments.count >= 3 ? arguments[2] : arguments[1]
        let environment = ProcessIdentity.environment()
        var gitDirectory = environment["GIT_DIR"]
        if let directory = gitDirectory, !directory.hasPrefix("/"), let cwd = ProcessIdentity.currentDirectory() {
            gitDirectory = cwd + "/" + directory
        }
        let helper = RemoteHelper(
            url: url,
            gitDirectory: gitDirectory,
            socketPath: AgentEndpoint.gitSocketPath(),
            output: { AppendOnlyFile.standardOutput.write(Array($0.utf8)) }
        )
        do {
            try helper.run { readLine(strippingNewline: true) }
        } catch {
            StandardError.write(error.message + "\n")
            exit(status: error.status)
        }
    }
}
