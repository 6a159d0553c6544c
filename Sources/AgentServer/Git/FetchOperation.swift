import AgentGit
import AgentProtocol

/// A fetch, start to end, on a git thread: open the repository beneath the workspace root, make
/// the private view (its refs mirrored, so that libgit2 tells the server what the repository
/// already has), download what is missing into the view, then copy the new pack into the
/// workspace's `objects/pack` by descriptor. git updates its refs itself afterwards.
struct FetchOperation {
    let opener: WorkspaceOpener
    let upstreamURL: String
    let credentials: TokenCredentials

    func run(
        gitDirectory: String,
        wants: [ObjectID],
        wantsProgress: Bool,
        control: OperationControl,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) {
        let workspace = try opener.open(gitDirectory, control: control)
        let view = try opener.view(of: workspace, control: control)
        let missing = wants.filter { !view.repository.contains($0) }
        guard !missing.isEmpty else { return }
        let observer = TransferObserver(credentials: credentials, wantsServerMessages: wantsProgress, control: control, onEvent: onEvent)
        do {
            let connection = try RemoteConnection(url: upstreamURL, repository: view.repository, observer: observer)
            try connection.connect(.fetch)
            try connection.download(missing)
        } catch {
            throw .failed(error.message, code: control.stopReason == nil ? "upstream-failed" : "timeout")
        }
        do {
            _ = try view.installNewPacks(into: try workspace.packDirectory())
        } catch {
            throw GitServiceError(error)
        }
    }
}
