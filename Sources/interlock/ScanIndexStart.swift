#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem
import InterlockSandbox
import InterlockSecrets

/// How a run starts the workspace scan index keeper for a large workspace, and with which settings.
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
            _ = try? SystemCall.retrying("waitpid") { waitpid(pid, &status, 0) }
        }
    }
}
