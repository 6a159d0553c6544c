import AgentProtocol
import AgentSystem

/// git's remote-helper protocol (`gitremote-helpers(7)`), spoken on standard input and output,
/// with each network step sent to the agent as a frame on `git.sock`.
///
/// Git resolves argv, `push.default`, upstreams, `--force`, `--delete` and hands us exact
/// refspecs; we never parse git's command line. The helper itself holds no token and touches no
/// network: it only talks to the agent.
public final class RemoteHelper {
    /// The longest silence accepted from the agent while it works (it streams progress).
    static let replyTimeout: Duration = .seconds(600)

    private let url: String
    private let gitDirectory: String?
    private let socketPath: String
    private let output: (String) -> Void
    private var options = Options()

    struct Options {
        var progress = false
        var verbosity = 1
        var dryRun = false
        var atomic = false
        var leases: [String] = []
    }

    /// Why the helper stops: git shows `message`, then the helper exits with `status`.
    public struct Failure: Error {
        public let message: String
        public let status: Int32
    }

    public init(url: String, gitDirectory: String?, socketPath: String, output: @escaping (String) -> Void) {
        self.url = url
        self.gitDirectory = gitDirectory
        self.socketPath = socketPath
        self.output = output
    }

    /// Serves git until it closes the conversation.
    /// - Parameter readLine: the next line from git, without its newline; `nil` at end of input.
    public func run(readLine: () -> String?) throws(Failure) {
        while let line = readLine() {
            if line.isEmpty { return }
            if line == "capabilities" {
                output("fetch\npush\noption\n\n")
            } else if line.hasPrefix("option ") {
                output(setOption(String(line.dropFirst("option ".count))) + "\n")
            } else if line == "list" || line == "list for-push" {
                try list()
            } else if line.hasPrefix("fetch ") {
                try fetch(first: line, readLine: readLine)
            } else if line.hasPrefix("push ") {
                try push(first: line, readLine: readLine)
            } else {
                throw Failure(message: "git-remote-agent: unknown command '\(line.prefix(80))'", status: 1)
            }
        }
    }

    private func setOption(_ text: String) -> String {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "error malformed option" }
        let (name, value) = (parts[0], parts[1])
        switch name {
        case "progress": options.progress = value == "true"
        case "verbosity": options.verbosity = Int(value) ?? 1
        case "dry-run": options.dryRun = value == "true"
        case "atomic": options.atomic = value == "true"
        case "cas": options.leases.append(value)
        case "followtags", "cloning": break  // git itself chooses the refs; nothing to do here
        case "depth", "deepen-since", "deepen-not", "deepen-relative", "filter":
            // git then fetches everything; say so rather than leave a full clone unexplained.
            StandardError.write("warning: shallow and partial fetches are not supported through the command agent; fetching complete history\n")
            return "unsupported"
        default: return "unsupported"
        }
        return "ok"
    }

    private func request(_ operation: String, _ configure: (inout Frame) -> Void) throws(Failure) -> Frame {
        var frame = Frame([Frame.Field(Wire.Key.operation, operation), Frame.Field(Wire.Key.url, url)])
        if let gitDirectory { frame.append(Wire.Key.gitDirectory, gitDirectory) }
        frame.append(Wire.Key.progress, options.progress ? "true" : "false")
        configure(&frame)
        var printer = ProgressPrinter(showsTransfer: options.progress)
        defer { printer.finishOpenLine() }
        let reply: Frame
        do {
            let connection = try AgentConnection(socketPath: socketPath)
            reply = try connection.send(frame, replyTimeout: Self.replyTimeout) { printer.show($0) }
        } catch {
            throw Failure(message: "fatal: \(error.description)", status: 128)
        }
        // The agent refusing this caller (uid) or being full is the same trouble as it being down.
        if let code = reply[Wire.Key.code], code == "peer-refused" || code == "busy" {
            let reason = reply[Wire.Key.message] ?? code
            throw Failure(message: "fatal: \(AgentClientError.unreachable(path: socketPath, reason: reason).description)", status: 128)
        }
        return reply
    }

    private func requireSuccess(_ reply: Frame) throws(Failure) {
        guard reply[Wire.Key.status] == Wire.Status.ok else {
            throw Failure(message: "fatal: \(reply[Wire.Key.message] ?? "the command agent refused without a reason")", status: 128)
        }
    }

    private func list() throws(Failure) {
        let reply = try request(Wire.Operation.list) { _ in }
        try requireSuccess(reply)
        let head = reply[Wire.Key.head]
        var text = ""
        for reference in reply.values(for: Wire.Key.reference) {
            if let head, reference.hasSuffix(" HEAD") {
                text += "@\(head) HEAD\n"
            } else {
                text += reference + "\n"
            }
        }
        output(text + "\n")
    }

    private func batch(first: String, prefix: String, readLine: () -> String?) -> [String] {
        var lines = [String(first.dropFirst(prefix.count))]
        while let line = readLine(), !line.isEmpty { lines.append(String(line.dropFirst(prefix.count))) }
        return lines
    }

    private func fetch(first: String, readLine: () -> String?) throws(Failure) {
        let wants = batch(first: first, prefix: "fetch ", readLine: readLine).compactMap { $0.split(separator: " ").first.map(String.init) }
        let reply = try request(Wire.Operation.fetch) { frame in frame.append(Wire.Key.want, Set(wants).sorted()) }
        try requireSuccess(reply)
        output("\n")
    }

    private func push(first: String, readLine: () -> String?) throws(Failure) {
        let refspecs = batch(first: first, prefix: "push ", readLine: readLine)
        let reply = try request(Wire.Operation.push) { frame in
            frame.append(Wire.Key.refspec, refspecs)
            frame.append(Wire.Key.lease, options.leases)
            if options.dryRun { frame.append(Wire.Key.dryRun, "true") }
            if options.atomic { frame.append(Wire.Key.atomic, "true") }
        }
        var text = ""
        if reply[Wire.Key.status] == Wire.Status.ok {
            for destination in reply.values(for: Wire.Key.ok) { text += "ok \(destination)\n" }
            for failure in reply.values(for: Wire.Key.error) { text += "error \(failure)\n" }
        } else {
            // The whole push was refused (a bad URL, a repository outside the workspace, …):
            // every ref gets the reason, so that git shows it beside each one.
            let reason = reply[Wire.Key.message] ?? "refused by the command agent"
            for refspec in refspecs {
                let destination = refspec.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? refspec
                text += "error \(destination) \(reason)\n"
            }
        }
        output(text + "\n")
    }
}
