import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockInspect

/// `interlock approve ID` / `interlock deny ID`: answer a request an `ask` rule held, from any
/// terminal of the run's user (never from inside a sandbox: the socket is out of its reach).
/// `interlock approve --list` shows what every running sandbox holds.
struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Let a held request through (see `--list`).")
    @Flag(name: .long, help: "List the held requests of every running sandbox.")
    var list = false
    @Argument(help: "The request id (RUN-N), as the supervisor printed it.")
    var id: String?

    func run() throws {
        if list || id == nil {
            Answer.list()
        } else if let id {
            Answer.send(approve: true, id: id)
        }
    }
}
