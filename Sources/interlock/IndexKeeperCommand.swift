import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockSandbox
import InterlockSecrets

/// `interlock secrets index-keeper` (hidden): the workspace scan index keeper a run starts for a
/// large workspace (`ScanIndex` in InterlockSecrets). With --detach it only starts the real
/// keeper and exits, so that the keeper is nobody's child and the run can reap the starter.
struct IndexKeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index-keeper", abstract: "Serve the workspace scan index (started by runs).",
                                                    shouldDisplay: false)

    @Option(name: .long, help: "Workspace (real path).") var workspace: String
    @Option(name: .long, help: "Scan cache directory (socket and lock).") var directory: String
    @Option(name: .long, help: "Exit after this many seconds without a query.") var idle: Int = 1200
    @Flag(name: .long, help: "Start the keeper detached and exit.") var detach = false

    func run() throws {
        if detach {
            let pid = Detached.spawn("/proc/self/exe", ["interlock"] + ScanIndexStart.arguments(workspace: workspace, directory: directory, idle: idle))
            Glibc.exit(pid == nil ? 1 : 0)
        }
        Glibc.exit(IndexKeeper.run(workspace: workspace, directory: directory, idleSeconds: max(idle, 1)))
    }
}
