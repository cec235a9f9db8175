#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockJSON
import InterlockSystem

/// The end-of-run backstop behind the syscall checks: whatever in the workspace the run wrote
/// (ctime at or after the run started; no call sets ctime) may not carry privilege or run code
/// outside the sandbox. The checks refuse these at the call; a route they miss (a racing
/// rename, an I/O path the filter does not see) ends here:
/// - setuid and setgid bits are cleared, and `security.capability` is removed. A directory
///   counts only if it was born during the run (its ctime moves with every entry added), and
///   keeps a setgid it inherited from a setgid parent: that is the user's group sharing, and a
///   directory runs nothing;
/// - a protected path (ProtectedPatterns: any depth) written by the run is moved into the
///   quarantine, `$XDG_STATE_HOME/interlock/quarantine/RUN/`, owned by the invoking user and
///   readable only by it; so is a hook the run wrote into any git directory (`.git`, a
///   submodule's, a bare or `gitdir:` one: HEAD with objects and refs, or commondir), and a git
///   config the run wrote that sets a key which runs commands (GitConfigCheck).
/// It stays on the workspace's filesystem and never follows a symlink.
public struct WorkspaceSweep {
    public struct Finding: Sendable {
        public var path: String
        /// `cleared`, `quarantined`; `removed` when the quarantine could not take it, `left`
        /// when neither worked, `unchecked` for a directory the sweep could not open.
        public var action: String
        public var what: String
        /// Where a quarantined file went.
        public var movedTo: String?
    }

    let patterns: ProtectedPatterns
    let quarantine: String
    /// Interlock's state directory, when the workspace holds it (workspace = home): read-only
    /// inside, and where quarantined files go, so never swept.
    let stateDirectory: [String]?

    public init(plan: MountPlan, runStart: timespec, quarantine: String) {
        patterns = ProtectedPatterns(entries: plan.protectedList, workspace: plan.workspace, runStart: runStart)
        self.quarantine = quarantine
        let state = String(quarantine.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/"))
        stateDirectory = patterns.components(Self.resolved(state))
    }

    static func resolved(_ path: String) -> String {
        FileIO.realPath(path) ?? path
    }

    /// `$XDG_STATE_HOME/interlock/quarantine/RUN` of the supervisor's (the invoking user's) environment.
    public static func quarantineDirectory(runID: String) -> String {
        let state = getenv("XDG_STATE_HOME").map { String(cString: $0) }.flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (getenv("HOME").map { String(cString: $0) } ?? "/root") + "/.local/state"
        return state + "/interlock/quarantine/" + runID
    }

    /// Sweeps the workspace; records each finding (`file`/`cleared` or `quarantined`) in `log`.
    public func run(log: AuditLog?, sandbox: String) -> [Finding] {
        let root = open(patterns.workspace, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { return [] }
        var st = stat()
        guard fstat(root, &st) == 0 else { close(root); return [] }
        var walk = Walk(sweep: self, device: st.st_dev)
        walk.directory(root, components: [], mode: st.st_mode)
        StartupTrace.mark("end-of-run sweep of the workspace")
        for f in walk.findings {
            var detail: [(String, JSONValue)] = [("path", .string(f.path)), ("what", .string(f.what))]
            if let to = f.movedTo { detail.append(("moved_to", .string(to))) }
            log?.append(AuditRecord(sandbox: sandbox, kind: .file, action: f.action,
                                    rule: f.action == "cleared" ? "privilege bits" : "protected", detail: detail))
        }
        return walk.findings
    }

    func written(_ st: stat) -> Bool {
        !ProtectedPatterns.earlier(st.st_ctim, than: patterns.runStart)
    }

    func written(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) != 0 || written(st)
    }
}

extension WorkspaceSweep {
    /// One pass over the tree: directory descriptors all the way down (openat, O_NOFOLLOW).
    struct Walk {
        let sweep: WorkspaceSweep
        let device: dev_t
        var findings: [Finding] = []

        init(sweep: WorkspaceSweep, device: dev_t) {
            self.sweep = sweep
            self.device = device
        }

        /// Takes `fd` (closes it); `mode` is the directory's. The hot loop: one fstatat per
        /// entry, and a Swift string only for directories and what the run wrote.
        mutating func directory(_ fd: Int32, components: [String], mode: mode_t) {
            guard let dir = fdopendir(fd) else { close(fd); return }
            defer { closedir(dir) }
            // In a hooks directory the run changed, old entries may have been moved in with it.
            let hooksWritten = components.last == "hooks" && sweep.written(fd)
            while let entry = readdir(dir) {
                var st = stat()
                let name: String? = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                    let bytes = raw.bindMemory(to: CChar.self)
                    guard let p = bytes.baseAddress, !(p[0] == 0x2e && (p[1] == 0 || (p[1] == 0x2e && p[2] == 0))),
                          fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_dev == device else { return nil }
                    let wanted = st.st_mode & S_IFMT == S_IFDIR || hooksWritten || sweep.written(st)
                    return wanted ? String(cString: p) : nil
                }
                guard let name else { continue }
                visit(fd, name, components + [name], st, parentMode: mode)
            }
        }

        mutating func visit(_ fd: Int32, _ name: String, _ path: [String], _ st: stat, parentMode: mode_t) {
            if path == sweep.stateDirectory { return }
            if sweep.written(st) { privilege(fd, name, path, st, parentMode: parentMode) }
            if protected(fd, name, path, st) { return }
            guard st.st_mode & S_IFMT == S_IFDIR else { return }
            guard let child = open(fd, name, st) else {
                let why = String(cString: strerror(errno))
                findings.append(Finding(path: sweep.patterns.workspace + "/" + path.joined(separator: "/"),
                                        action: "unchecked", what: "a directory the sweep could not open (\(why))"))
                return
            }
            directory(child, components: path, mode: st.st_mode)
        }

        /// A subdirectory; one the sandbox made unreadable to its owner is given u+rwx first.
        func open(_ fd: Int32, _ name: String, _ st: stat) -> Int32? {
            let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            var child = openat(fd, name, flags)
            if child < 0, errno == EACCES, st.st_uid == geteuid(), fchmodat(fd, name, (st.st_mode & 0o7777) | S_IRWXU, AT_SYMLINK_NOFOLLOW) == 0 {
                child = openat(fd, name, flags)
            }
            return child >= 0 ? child : nil
        }

        mutating func privilege(_ fd: Int32, _ name: String, _ path: [String], _ st: stat, parentMode: mode_t) {
            let type = st.st_mode & S_IFMT
            let full = sweep.patterns.workspace + "/" + path.joined(separator: "/")
            if type == S_IFREG || type == S_IFDIR {
                var bits = st.st_mode & (S_ISUID | S_ISGID)
                // A directory's ctime moves with every entry added: only one born during the run
                // counts, and not the setgid it inherited from a setgid parent (the user's group
                // sharing).
                if type == S_IFDIR, !sweep.patterns.isNew(path) { bits = 0 }
                if type == S_IFDIR, parentMode & S_ISGID != 0 { bits &= ~S_ISGID }
                if bits != 0, fchmodat(fd, name, st.st_mode & 0o7777 & ~bits, AT_SYMLINK_NOFOLLOW) == 0 {
                    let what = [bits & S_ISUID != 0 ? "setuid" : nil, bits & S_ISGID != 0 ? "setgid" : nil].compactMap { $0 }
                    findings.append(Finding(path: full, action: "cleared", what: what.joined(separator: " and ") + " bit"))
                }
            }
            if type == S_IFREG, il_remove_file_capabilities(full) == 1 {
                findings.append(Finding(path: full, action: "cleared", what: "file capabilities (security.capability)"))
            }
        }

        /// Quarantines `name` if it is a protected path the run wrote; true if it was moved.
        mutating func protected(_ fd: Int32, _ name: String, _ path: [String], _ st: stat) -> Bool {
            guard let reason = sweep.reason(fd, name, path, st) else { return false }
            let full = sweep.patterns.workspace + "/" + path.joined(separator: "/")
            if let moved = Quarantine.move(fd, name, st, to: sweep.quarantine + "/" + path.joined(separator: "/")) {
                findings.append(Finding(path: full, action: "quarantined", what: reason, movedTo: moved))
                return true
            }
            // It cannot stay where it runs: removed, and said so.
            let removed = unlinkat(fd, name, 0) == 0
            findings.append(Finding(path: full, action: removed ? "removed" : "left", what: reason + (removed ? " (the quarantine could not take it)" : "")))
            return removed
        }
    }

    /// Why the entry must leave the workspace, or nil.
    func reason(_ fd: Int32, _ name: String, _ path: [String], _ st: stat) -> String? {
        let type = st.st_mode & S_IFMT
        if name == "config" || name == "config.worktree", written(st), isGitDirectory(path.dropLast()) {
            // Direct children of the git directory.
            if type == S_IFREG, let key = GitConfigCheck.dangerousKey(in: Self.text(fd, name)) {
                return "a git config written by the run sets \(key), which runs commands"
            }
            if type == S_IFLNK {
                return "a git config replaced by a symlink during the run"
            }
        }
        if type == S_IFLNK, ["hooks", "info"].contains(name), written(st), isGitDirectory(path.dropLast()) {
            return "a git \(name) directory replaced by a symlink during the run"
        }
        if path.count >= 2, type != S_IFDIR {
            let parent = path[path.count - 2]
            // A hook written, or moved in with its directory (the directory's ctime).
            if parent == "hooks", !name.hasSuffix(".sample"), written(st) || written(fd), isGitDirectory(path.dropLast(2)) {
                return "a git hook written by the run"
            }
            if parent == "info", name == "attributes", written(st), isGitDirectory(path.dropLast(2)) {
                return "git attributes written by the run (they select filter and diff drivers)"
            }
        }
        guard type != S_IFDIR, written(st), let (location, why) = patterns.locate(path) else { return nil }
        if case .entry(let index, let entry) = location {
            if entry == ".gitmodules", patterns.inNewRepository(Array(path[..<index])) { return nil }
            return why
        }
        return nil
    }

    /// Whether the workspace directory `c` is a git directory (a `.git`, or what git accepts as one).
    func isGitDirectory(_ c: ArraySlice<String>) -> Bool {
        c.last == ".git" || ProtectedPatterns.isGitDirectory(patterns.workspace + "/" + c.joined(separator: "/"))
    }

    /// The first 1 MiB of a file in `fd` (configs are small; a bigger one is judged by its start).
    static func text(_ fd: Int32, _ name: String) -> String {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { return "[unreadable" }
        defer { close(file) }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        let total = bytes.withUnsafeMutableBytes { raw in raw.baseAddress.map { FileIO.readFully(file, $0, raw.count) } ?? 0 }
        return String(decoding: bytes[..<total], as: UTF8.self)
    }
}
