#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockJSON
import InterlockSystem

/// Records every open of a hidden path. Each mask (and each mirrored entry inside a hidden
/// directory) is an inode of its own with a fanotify inode mark: no other file carries a mark,
/// so normal file access pays nothing.
/// - Root-invoked runs get permission events: the opener waits for our answer, so it is named
///   exactly (pid, exe, argv), and nothing is merged.
/// - Other callers get open notifications (kernel ≥ 5.13), which the kernel does not attribute
///   for an unprivileged listener: the record names the process when one in the sandbox still
///   holds the mask open, and says so when none does. Repeated opens of one mask by one process
///   before the supervisor reads them may arrive as one event (the kernel merges them).
final class HiddenPathWatcher {
    let fd: Int32
    /// Permission events unavailable: notifications by file handle.
    let notificationOnly: Bool
    private struct Watched { var path: String; var origin: String; var directory: Bool }
    private var watched: [String: Watched] = [:]
    private(set) var count = 0
    private let sandbox: String
    private let log: AuditLog?
    private var sandboxInit: pid_t = 0

    /// nil when fanotify is unavailable to this caller.
    init?(sandbox: String, log: AuditLog?) {
        var notificationOnly: Int32 = 0
        let fd = il_fanotify_open(&notificationOnly)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.notificationOnly = notificationOnly != 0
        self.sandbox = sandbox
        self.log = log
    }

    /// When the sandbox is gone (its processes and its mounts): the release waits on the kernel.
    deinit { il_fanotify_close_deferred(fd) }

    /// Marks each mask as the sandbox (pid) sees it, once its view is final.
    func watch(_ steps: [MountPlan.Step], pid: pid_t) throws {
        sandboxInit = pid
        for step in steps where step.kind == .hideFile || step.kind == .hideDirectory {
            let entries = [(step.target, step.kind == .hideDirectory)]
                + step.children.map { (step.target + "/" + $0.dropFirst(2), $0.hasPrefix("d:")) }
            for (target, directory) in entries {
                let path = "/proc/\(pid)/root" + target
                guard let key = identity(path) else {
                    if errno == ENOENT { continue }  // vanished before the mount
                    throw SystemCallError("identify the hidden path \(target)")
                }
                guard il_fanotify_watch(fd, path, directory ? 1 : 0, notificationOnly ? 1 : 0) == 0 else {
                    throw SystemCallError("watch the hidden path \(target)")
                }
                watched[key] = Watched(path: target, origin: step.origin, directory: directory)
            }
        }
    }

    /// How events name an inode: dev:ino (permission mode) or the file handle (notifications).
    private func identity(_ path: String) -> String? {
        if notificationOnly {
            var handle = [UInt8](repeating: 0, count: 64)
            let n = il_file_handle(path, &handle, Int32(handle.count))
            return n > 0 ? Self.hex(handle.prefix(Int(n))) : nil
        }
        var dev: UInt64 = 0, ino: UInt64 = 0
        return il_stat_identity(path, &dev, &ino) == 0 ? "\(dev):\(ino)" : nil
    }

    private static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Reads pending events and records each.
    func drain() {
        var events = [il_fan_event](repeating: il_fan_event(), count: 64)
        while true {
            let n = events.withUnsafeMutableBufferPointer { il_fanotify_read(fd, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { return }
            for var e in events.prefix(Int(n)) {
                let key = e.fd >= 0 ? "\(e.dev):\(e.ino)"
                    : Self.hex(withUnsafeBytes(of: &e.handle) { Array($0.prefix(Int(e.handle_len))) })
                let entry = watched[key]
                var pid = e.pid
                if pid <= 0, let entry { pid = holder(of: entry.path) }
                // A permission event's opener waits for our answer: read who it is first.
                let exe = pid > 0 ? ProcessInfo.exe(pid) : nil, argv = pid > 0 ? ProcessInfo.argv(pid) : nil
                il_fanotify_allow(fd, e.fd)
                guard let entry else { continue }
                count += 1
                var detail: [(String, JSONValue)] = [
                    ("path", .string(entry.path)),
                    ("seen", .string(entry.directory ? "an empty read-only directory" : "an empty read-only file")),
                ]
                if e.pid <= 0 {
                    detail.append(("attribution", .string(pid > 0
                        ? "the process holding it open when the supervisor looked (the kernel names openers to root only)"
                        : "unknown: the kernel names openers to root only, and no process still held it open")))
                }
                log?.append(AuditRecord(sandbox: sandbox, kind: .file, action: "deny", pid: pid > 0 ? pid : nil,
                                        exe: exe, argv: argv, rule: entry.origin, detail: detail))
            }
        }
    }

    /// A process of the sandbox with `path` open, found through /proc (notification mode).
    private func holder(of path: String) -> pid_t {
        var stack: [pid_t] = [sandboxInit]
        var seen = 0
        while let pid = stack.popLast(), seen < 4096 {
            seen += 1
            if pid != sandboxInit, let dir = opendir("/proc/\(pid)/fd") {
                defer { closedir(dir) }
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if name.first?.isNumber == true, CallerPath.link("/proc/\(pid)/fd/\(name)") == path { return pid }
                }
            }
            if let children = FileIO.read("/proc/\(pid)/task/\(pid)/children") {
                stack += children.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t(String($0)) }
            }
        }
        return 0
    }
}
