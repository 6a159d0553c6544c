import AgentTestSupport
import Foundation

/// What the person does with git on the host after a session: every command that could run a
/// program the repository's metadata names, or follow a redirection it sets up. Failures of the
/// commands themselves do not matter here; what ran (sentinel files) and where git went (the
/// outputs) do.
enum HostBattery {
    /// Runs everything in `project`; returns all outputs, each step labelled.
    static func run(in project: HostProject) async throws -> String {
        var outputs = ""
        func step(_ label: String, _ arguments: [String], in directory: String? = nil, stdin: String? = nil) async throws {
            let result = try await project.git(arguments, in: directory, stdin: stdin)
            outputs += "== \(label) (exit \(result.status.map(String.init) ?? "timeout"))\n\(result.output)\n"
        }
        let app = project.app
        try await step("status", ["status"])
        try await step("diff", ["diff"])
        try await step("log -p", ["log", "-p", "-3"])
        try await step("add", ["add", "-A"])
        try await step("commit", ["commit", "-q", "-m", "host commit"])
        try await step("commit --amend (editor)", ["commit", "--amend"])
        try await step("commit --amend --no-edit", ["commit", "--amend", "--no-edit"])
        try await step("rebase -i", ["rebase", "-i", "HEAD~1"])
        try await step("rebase --abort", ["rebase", "--abort"])
        try await step("checkout other", ["checkout", "-q", "other"])
        try await step("checkout main", ["checkout", "-q", "main"])
        try await step("merge ahead", ["merge", "--no-edit", "ahead"])
        try await step("merge other", ["merge", "--no-edit", "other"])
        try await step("merge --abort", ["merge", "--abort"])
        try await step("alias st", ["st"])
        try await step("credential fill", ["credential", "fill"], stdin: "protocol=https\nhost=example.com\n\n")
        try await step("ls-remote ssh", ["ls-remote", "ssh://git@127.0.0.1:9/o/app.git"])
        try await step("ls-remote git://", ["ls-remote", "git://127.0.0.1:9/o/app.git"])
        try await step("fetch evil", ["fetch", "evil"])
        try await step("push evil", ["push", "evil", "HEAD:refs/heads/x"])
        try await step("push to bare", ["push", "../bare.git", "HEAD:refs/heads/host"])
        try await step("gc --auto", ["-c", "gc.auto=1", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"])
        try await step("push into app", ["push", "../app", "HEAD:refs/heads/incoming"], in: project.root + "/side")
        try await step("-C nested status", ["-C", "nested", "status"])
        try await step("-C sub status", ["-C", "sub", "status"])
        try await step("-C wt status", ["-C", "../wt", "status"])
        try await step("-C tools.git st", ["-C", "tools.git", "st"])
        try await step("get-url", ["ls-remote", "--get-url", "origin"])
        try await step("get-url --push", ["remote", "get-url", "--push", "origin"])
        try await step("config of http, url", ["config", "--get-regexp", "^(http|https|url)\\."])
        try await step("show-toplevel", ["rev-parse", "--show-toplevel"])
        for command in ["git log", "git -C nested log", "git -C tools.git log"] {
            let result = try await project.inTerminal(command, in: app)
            outputs += "== terminal: \(command) (exit \(result.status.map(String.init) ?? "timeout"))\n\(result.output)\n"
        }
        return outputs
    }
}
