#if canImport(Glibc)
import Glibc
#endif
import CInterlock

/// Processes that outlive the run that starts them (the scan index keeper).
public enum Detached {
    /// Starts `path` with `arguments` (argv[0] included) detached from this process: its own
    /// session, stdio on /dev/null, no inherited descriptors, cwd /, an empty environment. The
    /// caller reaps it (it is still our child). Returns its pid, or nil.
    public static func spawn(_ path: String, _ arguments: [String]) -> pid_t? {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        let pid = il_spawn_detached(path, argv)
        return pid > 0 ? pid : nil
    }
}
