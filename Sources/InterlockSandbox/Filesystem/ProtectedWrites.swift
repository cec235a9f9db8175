#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSeccomp

/// Writes near protected paths, seen before they happen.
///
/// Protected files are read-only mounts, so the kernel refuses writes to them with EROFS, and
/// does so before any file event fires: nothing would record the attempt. Instead the filter
/// refers every write-intent path call (open for writing or creating, mkdir, rename, link,
/// unlink, chmod…) to the supervisor, which reads the path from the caller, and
/// - for an existing protected path, records the attempt and answers EROFS (what the mount
///   would answer: the mount stays the enforcement, this only makes the attempt visible);
/// - for a protected path that was absent at start and whose parent existed (`.envrc`, a new
///   `.vscode/`), records and refuses the creation;
/// - for a path the list names at any depth (`sub/.git/hooks/x`, `a/.claude/settings.json`:
///   see ProtectedPatterns), records and refuses the write or creation.
/// Reading the path from the caller's memory is racy (another thread can rewrite it, or rename
/// a directory on it, after we look), so the last two are best effort: the end-of-run sweep
/// (WorkspaceSweep) is the backstop.
/// Every other call proceeds untouched. Reads are never referred: they are the hot path.
public struct ProtectedWrites: Sendable {
    public struct Hit: Sendable {
        public var path: String
        public var reason: String
        /// `protected: PATH` or `hidden: PATH`, for the audit record.
        public var rule: String
        /// How it is protected, for the audit record.
        public var protection: String
    }

    struct Entry: Sendable { var path: String; var reason: String; var rule: String }
    let existing: [Entry]
    let absent: [Entry]
    let patterns: ProtectedPatterns

    public init(plan: MountPlan) {
        // Hidden paths too: their masks are read-only, and a write to one is as telling as a read.
        existing = plan.protected.map { Entry(path: $0.path, reason: $0.reason, rule: "protected: \($0.path)") }
            + plan.steps.filter { $0.kind == .hideFile || $0.kind == .hideDirectory }
                .map { Entry(path: $0.target, reason: "hidden by \($0.origin)", rule: "hidden: \($0.target)") }
        // An absent path under a directory the run itself creates (`git init` making .git/hooks)
        // is reported at the end instead: refusing it would break the tool that creates it.
        absent = plan.watched.filter { access(CallerPath.parent($0.path), F_OK) == 0 }
            .map { Entry(path: $0.path, reason: $0.reason, rule: "protected: \($0.path)") }
        // Watched calls wait for the supervisor, which builds this before it answers the first:
        // anything the run creates is born after this time.
        patterns = ProtectedPatterns(entries: plan.protectedList, workspace: plan.workspace, runStart: ProtectedPatterns.now())
    }

    public var isEmpty: Bool { existing.isEmpty && absent.isEmpty && patterns.isEmpty }

    /// Which arguments of each watched syscall are paths, and the dirfd each is relative to
    /// (nil: the working directory).
    static let pathArguments: [String: [(path: Int, dirfd: Int?)]] = [
        "open": [(0, nil)], "creat": [(0, nil)], "openat": [(1, 0)], "openat2": [(1, 0)],
        "mkdir": [(0, nil)], "mkdirat": [(1, 0)], "mknod": [(0, nil)], "mknodat": [(1, 0)],
        "rmdir": [(0, nil)], "unlink": [(0, nil)], "unlinkat": [(1, 0)],
        "rename": [(0, nil), (1, nil)], "renameat": [(1, 0), (3, 2)], "renameat2": [(1, 0), (3, 2)],
        "link": [(1, nil)], "linkat": [(3, 2)], "symlink": [(1, nil)], "symlinkat": [(2, 1)],
        "truncate": [(0, nil)], "chmod": [(0, nil)], "fchmodat": [(1, 0)],
        "chown": [(0, nil)], "lchown": [(0, nil)], "fchownat": [(1, 0)],
    ]

    /// open/openat flags that mean a write: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC (O_TMPFILE
    /// needs one of the first two).
    static let writeFlags: [UInt64] = [0o1, 0o2, 0o100, 0o1000]

    /// The filter's watch rules: write-intent calls only.
    public static func watchRules() -> [SyscallRule] {
        let origin = "protected paths"
        var rules: [SyscallRule] = []
        for (name, flagsIndex) in [("open", 1), ("openat", 2)] where SeccompCompiler.isNative(name) {
            rules += writeFlags.map { SyscallRule(syscall: name, conditions: [.masked(flagsIndex, $0, $0)], action: .watch, origin: origin) }
        }
        for name in pathArguments.keys.sorted() where name != "open" && name != "openat" {
            guard SeccompCompiler.isNative(name) else { continue }
            rules.append(SyscallRule(syscall: name, action: .watch, origin: origin))
        }
        return rules
    }

    /// The protected path this call would write, if any. Called while the caller is blocked.
    public func check(syscall: String, arguments: [UInt64], pid: pid_t) -> Hit? {
        guard let spec = Self.pathArguments[syscall] else { return nil }
        if syscall == "openat2" {
            // struct open_how starts with the flags; a read-only open is not a write.
            var flags: UInt64 = 0
            guard arguments.count > 2, il_read_remote(pid, arguments[2], &flags, 8) == 8 else { return nil }
            guard Self.writeFlags.contains(where: { flags & $0 != 0 }) else { return nil }
        }
        for (pathIndex, dirfdIndex) in spec where pathIndex < arguments.count {
            guard let raw = ArgumentDecoder.readString(pid: pid, address: arguments[pathIndex]), !raw.isEmpty else { continue }
            let dirfd = dirfdIndex.map { Int32(truncatingIfNeeded: arguments[$0]) } ?? AT_FDCWD
            guard let path = CallerPath.absolute(raw, dirfd: dirfd, pid: pid) else { continue }
            if let p = existing.first(where: { PathResolution.contains($0.path, path) }) {
                return Hit(path: path, reason: p.reason, rule: p.rule, protection: "read-only inside the sandbox")
            }
            if let p = absent.first(where: { PathResolution.contains($0.path, path) }) {
                return Hit(path: path, reason: p.reason, rule: p.rule, protection: "absent at start; creating it is refused")
            }
            if let reason = patterns.refusal(path, syscall: syscall) {
                return Hit(path: path, reason: reason, rule: "protected: \(path)", protection: "protected at any depth")
            }
        }
        return nil
    }
}
