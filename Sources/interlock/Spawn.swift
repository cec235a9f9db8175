#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem
import InterlockSandbox

/// posix_spawn of a child that inherits stdio; returns its exit code (128+N for signal N).
enum Spawn {
    static func run(executable: String, arguments: [String], cwd: String) -> Int32 {
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let previous = Shell.currentDirectory()
        _ = chdir(cwd)
        let rc = posix_spawn(&pid, executable, nil, nil, argv, environ)
        _ = chdir(previous)
        guard rc == 0 else { return 127 }
        var status: Int32 = 0
        _ = try? SystemCall.retrying("waitpid") { waitpid(pid, &status, 0) }
        return ExitStatus.code(fromWaitStatus: status)
    }
}
