#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// What the keeper knows, kept equal to what a full scan would find now.
final class KeeperState {
    struct Directory {
        var path: String
        var skipContent: Bool
        var key: ScanCache.Key
        /// Mode and owner when watched: a change may change what can be read below.
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        /// Regular files and symlinks (what the full scan counts).
        var files: Set<String> = []
    }

    /// A content-checked file with several links, as it was when judged.
    struct LinkedFile {
        var key: ScanCache.Key
        var size: Int64
        var modified: Int64
        var changed: Int64
    }

    let workspace: String
    let rules: SecretRuleSet
    let check: EntryCheck
    let rootFd: Int32
    let inotifyFd: Int32
    var mounts: MountWatch
    private let exeIdentity: String
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var rootWd: Int32 = -1

    private var directories: [Int32: Directory] = [:]
    private var watchByPath: [String: Int32] = [:]
    private var findings: [String: WorkspaceScanner.Finding] = [:]
    private var unreadable: [String: String] = [:]
    private var linked: [String: LinkedFile] = [:]
    /// Set once the state can no longer be trusted.
    var broken: String?

    static let watchMask = UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO)
        | UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF)
        | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK)

    private init(workspace: String, rules: SecretRuleSet, check: EntryCheck, rootFd: Int32, inotifyFd: Int32,
                 mounts: MountWatch, exeIdentity: String) {
        self.workspace = workspace
        self.rules = rules
        self.check = check
        self.rootFd = rootFd
        self.inotifyFd = inotifyFd
        self.mounts = mounts
        self.exeIdentity = exeIdentity
        capacity = rules.settings.maxFileSize + 1
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    static func start(workspace: String, cacheDirectory: String) -> Result<KeeperState, KeeperFailure> {
        let rules = SecretRuleSet.builtin
        let rootFd = open(workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFd >= 0, let root = Posix.statInfo("/proc/self/fd/\(rootFd)"),
              let exeIdentity = ScanIndex.identity(rules: rules, workspace: workspace, root: root) else {
            return .failure(KeeperFailure(text: "workspace or binary not found"))
        }
        let mounts: MountWatch
        switch MountWatch.open(workspace: workspace) {
        case .success(let watch): mounts = watch
        case .failure(let failure): return .failure(failure)
        }
        let inotifyFd = inotify_init1(O_NONBLOCK | O_CLOEXEC)
        guard inotifyFd >= 0 else { return .failure(KeeperFailure(text: "inotify: \(String(cString: strerror(errno)))")) }
        // Unchanged files' content verdicts come from the scan cache (checked by size, mtime, ctime).
        let cache = ScanCache.load(path: Path.join(cacheDirectory, ScanCache.fileName(workspace: workspace)),
                                   fingerprint: rules.fingerprint, workspaceHash: Hash.fnv1a(Array(workspace.utf8)))
        let check = EntryCheck(rules: rules, cache: cache, racyBefore: 0)
        let state = KeeperState(workspace: workspace, rules: rules, check: check, rootFd: rootFd, inotifyFd: inotifyFd,
                                mounts: mounts, exeIdentity: exeIdentity)
        state.addTree("", skipContent: false)
        guard let wd = state.watchByPath[""] else {
            return .failure(KeeperFailure(text: state.broken ?? state.unreadable[""] ?? "workspace not watched"))
        }
        state.rootWd = wd
        state.catchUp()
        if let broken = state.broken { return .failure(KeeperFailure(text: broken)) }
        return .success(state)
    }

    /// The identity a run must present (the workspace as it is now: replaced, it no longer matches).
    func identity() -> String? {
        var info = stat()
        guard fstat(rootFd, &info) == 0, info.st_nlink > 0 else { return nil }
        return exeIdentity.hasSuffix(" ws=\(workspace)") && exeIdentity.contains(" root=\(info.st_dev):\(info.st_ino) uid=")
            ? exeIdentity : nil
    }

    func result() -> WorkspaceScanner.Result {
        var result = WorkspaceScanner.Result()
        result.directoriesVisited = directories.count
        result.filesVisited = directories.values.reduce(0) { $0 + $1.files.count }
        result.findings = findings.values.sorted { $0.relativePath < $1.relativePath }
        result.warnings = unreadable.keys.sorted().compactMap { unreadable[$0] }
        result.cacheUsed = true
        return result
    }

    // MARK: - Events

    /// Reads the inotify queue until it is empty and re-judges every name the events mention.
    /// The workspace's root has no name left. Its own deletion raises no inotify event while
    /// this process holds it open (`rootFd`), so the keeper looks at its link count instead.
    var workspaceDeleted: Bool {
        var st = stat()
        return fstat(rootFd, &st) == 0 && st.st_nlink == 0
    }

    func catchUp() {
        var pending: Set<String> = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while broken == nil {
            let n: Int
            do throws(SystemCallError) {
                // nil: the queue is empty (the descriptor is non-blocking).
                guard let count = try chunk.withUnsafeMutableBytes({ raw in
                    Result { () throws(SystemCallError) in
                        try SystemCall.retryingUnlessWouldBlock("inotify read") { read(inotifyFd, raw.baseAddress, raw.count) }
                    }
                }).get() else { break }
                n = count
            } catch {
                broken = "inotify read: \(error.reason)"
                break
            }
            if n == 0 { break }
            var offset = 0
            while offset + 16 <= n {
                let (wd, mask, length) = chunk.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = chunk[(offset + 16)..<min(offset + 16 + length, n)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                event(wd: wd, mask: mask, name: name, pending: &pending)
            }
            // Apply after each read: a later read may depend on watches added for earlier events.
            if !pending.isEmpty {
                apply(pending)
                pending.removeAll()
            }
        }
    }

    private func event(wd: Int32, mask: UInt32, name: String, pending: inout Set<String>) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            broken = "inotify queue overflowed"
            return
        }
        if mask & UInt32(IN_UNMOUNT) != 0 {
            broken = "a file system in the workspace was unmounted"
            return
        }
        if wd == rootWd && mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_IGNORED)) != 0 {
            broken = "the workspace was moved or deleted"
            return
        }
        guard let directory = directories[wd] else { return }  // a watch already dropped
        if name.isEmpty {
            // The directory itself: its parent's watch reports the same change by name.
            if mask & UInt32(IN_IGNORED) != 0 { pending.insert(directory.path) }
            return
        }
        pending.insert(directory.path.isEmpty ? name : directory.path + "/" + name)
    }

    /// Brings each path's state to what it is now: removals first (a renamed directory's watch
    /// must be dropped before it is added under its new name), then additions, parents first.
    private func apply(_ pending: Set<String>) {
        var additions: [String] = []
        for path in pending {
            guard watchByPath[Self.parent(path)] != nil else { continue }  // under an untracked directory
            if let wd = watchByPath[path], let known = directories[wd] {
                var info = stat()
                if fstatat(rootFd, path, &info, AT_SYMLINK_NOFOLLOW) == 0, Posix.type(of: info) == .directory,
                   ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) == known.key,
                   info.st_mode == known.mode, info.st_uid == known.uid, info.st_gid == known.gid {
                    continue  // the same directory, same permissions: its own watch reports its content
                }
            }
            forget(path)
            additions.append(path)
        }
        for path in additions.sorted() where broken == nil {
            let parentPath = Self.parent(path)
            guard let parentWd = watchByPath[parentPath], var parent = directories[parentWd] else { continue }
            guard watchByPath[path] == nil, findings[path] == nil, !parent.files.contains(Path.name(path)) else { continue }
            // The parent as tracked: if it was replaced meanwhile, its own event rebuilds it.
            let parentFd = parentPath.isEmpty
                ? openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                : openat(rootFd, parentPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard parentFd >= 0 else { continue }
            defer { close(parentFd) }
            var parentInfo = stat()
            guard fstat(parentFd, &parentInfo) == 0,
                  ScanCache.Key(device: UInt64(parentInfo.st_dev), inode: UInt64(parentInfo.st_ino)) == parent.key else { continue }
            let name = Path.name(path)
            var info = stat()
            guard fstatat(parentFd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }  // gone
            let type = Posix.type(of: info)
            if type == .directory {
                var copy = name
                let skip = parent.skipContent || copy.withUTF8 { check.isSkipped(name: $0, relative: path) }
                addTree(path, skipContent: skip)
            } else if judge(parentFd, name: name, relative: path, type: type, skipContent: parent.skipContent) {
                parent.files.insert(name)
                directories[parentWd] = parent
            }
        }
    }

    /// Drops everything known at or below `path`.
    private func forget(_ path: String) {
        let parentPath = Self.parent(path)
        if let parentWd = watchByPath[parentPath] { directories[parentWd]?.files.remove(Path.name(path)) }
        findings[path] = nil
        linked[path] = nil
        unreadable[path] = nil
        guard watchByPath[path] != nil || unreadable.keys.contains(where: { Self.isBelow($0, path) }) else { return }
        for (wd, directory) in directories where directory.path == path || Self.isBelow(directory.path, path) {
            inotify_rm_watch(inotifyFd, wd)
            directories[wd] = nil
            watchByPath[directory.path] = nil
        }
        for key in findings.keys where Self.isBelow(key, path) { findings[key] = nil }
        for key in linked.keys where Self.isBelow(key, path) { linked[key] = nil }
        for key in unreadable.keys where Self.isBelow(key, path) { unreadable[key] = nil }
    }

    /// Watches and judges a directory and everything below it. The watch comes before the
    /// listing: whatever changes after the listing has an event.
    func addTree(_ start: String, skipContent startSkip: Bool) {
        var stack: [(String, Bool)] = [(start, startSkip)]
        while let (path, skipContent) = stack.popLast(), broken == nil {
            let fd = path.isEmpty
                ? openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                : openat(rootFd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { continue }  // gone again: an event follows
                unreadable[path] = "\(path.isEmpty ? "." : path): not scanned: \(String(cString: strerror(errno)))"
                continue
            }
            var info = stat()
            guard fstat(fd, &info) == 0, let dir = fdopendir(fd) else {
                close(fd)
                broken = "\(path): cannot list"
                return
            }
            defer { closedir(dir) }
            let wd = inotify_add_watch(inotifyFd, "/proc/self/fd/\(fd)", Self.watchMask)
            guard wd >= 0 else {
                broken = errno == ENOSPC ? "the inotify watch limit (fs.inotify.max_user_watches) is reached"
                    : "\(path): cannot watch: \(String(cString: strerror(errno)))"
                return
            }
            if let other = directories[wd] {
                // One directory under two names (a bind mount): the full scan visits it once, in an order of its own.
                broken = "\(path) is the same directory as \(other.path)"
                return
            }
            var directory = Directory(path: path, skipContent: skipContent,
                                      key: ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
                                      mode: info.st_mode, uid: info.st_uid, gid: info.st_gid)
            let directoryFd = dirfd(dir)
            let prefix = path.isEmpty ? "" : path + "/"
            while let entry = readdir(dir) {
                var type = Posix.fileType(dType: entry.pointee.d_type)
                let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> String in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                if type == nil {
                    var st = stat()
                    guard fstatat(directoryFd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                    type = Posix.type(of: st)
                }
                let child = prefix + name
                if type == .directory {
                    var copy = name
                    stack.append((child, skipContent || copy.withUTF8 { check.isSkipped(name: $0, relative: child) }))
                } else if let type, judge(directoryFd, name: name, relative: child, type: type, skipContent: skipContent) {
                    directory.files.insert(name)
                }
            }
            directories[wd] = directory
            watchByPath[path] = wd
        }
    }

    /// Judges one non-directory entry; true when the full scan would count it as a file.
    private func judge(_ directoryFd: Int32, name: String, relative: String, type: Posix.FileType, skipContent: Bool) -> Bool {
        guard type == .regular || type == .symlink else { return false }
        var scratch = WorkspaceScanner.Result()
        var copy = name
        let finding = copy.withUTF8 { bytes in
            check.file(directoryFd, name, name: bytes, type: type, relative: { relative }, skipContent: skipContent,
                       into: &scratch, buffer: buffer, capacity: capacity)
        }
        findings[relative] = finding
        // Content that decided the verdict, reachable through a link outside the watches.
        let contentConsulted = !skipContent || scratch.cacheHits > 0 || scratch.cacheChanged
        var info = stat()
        if type == .regular, contentConsulted, fstatat(directoryFd, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_nlink > 1 {
            linked[relative] = LinkedFile(key: ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
                                          size: Int64(info.st_size), modified: Posix.nanoseconds(info.st_mtim),
                                          changed: Posix.nanoseconds(info.st_ctim))
        }
        return true
    }

    /// Multi-linked files changed since judged are judged again.
    func revalidateLinked() {
        var changed: Set<String> = []
        for (path, file) in linked {
            var info = stat()
            if fstatat(rootFd, path, &info, AT_SYMLINK_NOFOLLOW) != 0
                || ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) != file.key
                || Int64(info.st_size) != file.size || Posix.nanoseconds(info.st_mtim) != file.modified
                || Posix.nanoseconds(info.st_ctim) != file.changed {
                changed.insert(path)
            }
        }
        if !changed.isEmpty { apply(changed) }
    }

    func checkMounts() {
        if let reason = mounts.changed() { broken = reason }
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func isBelow(_ path: String, _ ancestor: String) -> Bool {
        ancestor.isEmpty ? !path.isEmpty : path.hasPrefix(ancestor + "/")
    }
}
