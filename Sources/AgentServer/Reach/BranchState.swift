import AgentPolicy

/// The session's branches as the state file holds them: which ones the agent created, and the
/// tips of branches it deleted. Text, one entry a line, so that a person can read it:
///
/// ```
/// command-agent branch state 1
/// own	octo/app	refs/heads/claude/fix	1a410efbd13591db07496601ebc7a059dd55cfe9
/// deleted	octo/app	refs/heads/wip	9fceb02d0ae598e95dc970b74767f19372d61af8
/// ```
///
/// Decoding accepts exactly what encoding writes: every field is checked (a repository as
/// GitHub names them, a valid branch name, an object id), and anything else refuses the file.
/// An `own` line may lack the tip (files written before tips were kept, or a branch created
/// through the API): such a branch never counts as the agent's for a git push (`BranchLedger`).
struct BranchState: Equatable {
    var own: [(repository: String, branch: String, tip: String?)] = []
    var deleted: [(repository: String, branch: String, tip: String)] = []

    static let header = "command-agent branch state 1"

    static func == (lhs: BranchState, rhs: BranchState) -> Bool {
        lhs.own.elementsEqual(rhs.own) { $0 == $1 } && lhs.deleted.elementsEqual(rhs.deleted) { $0 == $1 }
    }

    func encoded() -> [UInt8] {
        var text = Self.header + "\n"
        for entry in own { text += "own\t\(entry.repository)\t\(entry.branch)" + (entry.tip.map { "\t\($0)" } ?? "") + "\n" }
        for entry in deleted { text += "deleted\t\(entry.repository)\t\(entry.branch)\t\(entry.tip)\n" }
        return Array(text.utf8)
    }

    /// Why a state file cannot be read: the line, never its content.
    struct Problem: Error, CustomStringConvertible {
        let line: Int
        let why: String
        var description: String { "line \(line): \(why)" }
    }

    static func decode(_ bytes: [UInt8], ownCapacity: Int, deletedCapacity: Int) throws(Problem) -> BranchState {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(line: 0, why: "it is not UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == Substring(header) else { throw Problem(line: 1, why: "it does not start with '\(header)'") }
        var state = BranchState()
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let number = index + 1
            guard fields.count >= 3, Self.isRepository(fields[1]), Self.isBranch(fields[2]) else {
                throw Problem(line: number, why: "expected KIND, OWNER/NAME and a branch separated by tabs")
            }
            switch (fields[0], fields.count) {
            case ("own", 3):
                state.own.append((fields[1], fields[2], nil))
            case ("own", 4) where Self.isObjectID(fields[3]):
                state.own.append((fields[1], fields[2], fields[3]))
            case ("deleted", 4) where Self.isObjectID(fields[3]):
                state.deleted.append((fields[1], fields[2], fields[3]))
            default:
                throw Problem(line: number, why: "expected 'own' with two or three fields or 'deleted' with three (the third an object id)")
            }
        }
        guard state.own.count <= ownCapacity, state.deleted.count <= deletedCapacity else {
            throw Problem(line: lines.count, why: "it holds more entries than the agent keeps")
        }
        return state
    }

    static func isRepository(_ text: String) -> Bool {
        (try? RepositoryPattern(text))?.name != nil
    }

    static func isBranch(_ text: String) -> Bool {
        guard case .success(let name) = RefName.parse(text) else { return false }
        return name.kind == .branch && name.fullName == text
    }

    static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
