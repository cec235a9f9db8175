#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit

/// Records every open of a hidden path. Each mask is an inode of its own, watched with a
/// fanotify inode mark (a permission event, so the opener is still there to be named):
/// no other file carries a mark, so normal file access pays nothing.
/// fanotify needs CAP_SYS_ADMIN, so this covers root-invoked runs; for other callers the
/// paths are still hidden, only not audited (`interlock doctor` says so).
final class HiddenPathWatcher {
    let fd: Int32
    private var byInode: [String: MountPlan.Step] = [:]
    private(set) var count = 0
    private let sandbox: String
    private let log: AuditLog?

    /// nil when fanotify is unavailable to this caller.
    init?(sandbox: String, log: AuditLog?) {
        let fd = il_fanotify_open()
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.sandbox = sandbox
        self.log = log
    }

    deinit { close(fd) }

    /// Marks each mask as the sandbox (pid) sees it, once its view is final.
    func watch(_ steps: [MountPlan.Step], pid: pid_t) throws {
        for step in steps where step.kind == .hideFile || step.kind == .hideDirectory {
            let path = "/proc/\(pid)/root" + step.target
            var dev: UInt64 = 0, ino: UInt64 = 0
            if il_stat_identity(path, &dev, &ino) != 0 && errno == ENOENT { continue }  // vanished before the mount
            guard il_fanotify_watch(fd, path, step.kind == .hideDirectory ? 1 : 0) == 0 else {
                throw SystemCallError("watch the hidden path \(step.target)")
            }
            byInode["\(dev):\(ino)"] = step
        }
    }

    /// Reads pending events and records each.
    func drain() {
        var events = [il_fan_event](repeating: il_fan_event(), count: 64)
        while true {
            let n = events.withUnsafeMutableBufferPointer { il_fanotify_read(fd, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { return }
            for e in events.prefix(Int(n)) {
                // The opener waits for our answer: read who it is first.
                let exe = ProcessInfo.exe(e.pid), argv = ProcessInfo.argv(e.pid)
                il_fanotify_allow(fd, e.fd)
                guard let step = byInode["\(e.dev):\(e.ino)"] else { continue }
                count += 1
                log?.append(AuditRecord(sandbox: sandbox, kind: .file, action: "deny", pid: e.pid,
                                        exe: exe, argv: argv, rule: step.origin,
                                        detail: [("path", .string(step.target)),
                                                 ("seen", .string(step.kind == .hideDirectory ? "an empty read-only directory" : "an empty read-only file"))]))
            }
        }
    }
}
