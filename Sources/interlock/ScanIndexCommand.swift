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

enum ScanIndexStart {
    static func arguments(workspace: String, directory: String, idle: Int) -> [String] {
        ["secrets", "index-keeper", "--workspace", workspace, "--directory", directory, "--idle", String(idle)]
    }

    /// The index options of this invocation, or nil when INTERLOCK_SCAN_INDEX=0.
    /// INTERLOCK_SCAN_INDEX_MIN_FILES and INTERLOCK_SCAN_INDEX_IDLE (seconds) tune when a keeper
    /// starts and how long it stays.
    static func options() -> ScanIndexOptions? {
        let env = Shell.environmentDictionary()
        if env["INTERLOCK_SCAN_INDEX"] == "0" { return nil }
        let directory = Shell.scanCacheDirectory()
        let minimum = env["INTERLOCK_SCAN_INDEX_MIN_FILES"].flatMap { Int($0) }.map { max($0, 0) } ?? 5_000
        let idle = env["INTERLOCK_SCAN_INDEX_IDLE"].flatMap { Int($0) }.map { max($0, 1) } ?? 1_200
        return ScanIndexOptions(directory: directory, minimumFiles: minimum) { workspace in
            // Through a starter we reap at once: the keeper is reparented, never a child of the run.
            guard let pid = Detached.spawn("/proc/self/exe", ["interlock"] + arguments(workspace: workspace, directory: directory, idle: idle)
                                           + ["--detach"]) else { return }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}
