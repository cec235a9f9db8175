#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// Walks the workspace: file-name rules on every file, content rules on the text files that
/// are not in a skipped directory (`[scan] skip_content_dirs`), with results cached between runs.
///
/// Directories are the unit of work: each worker thread takes a directory from a shared stack,
/// lists it, applies the file-name rules, stats each candidate file relative to the directory
/// (one path component to resolve), looks it up in the cache and reads it only on a miss, then
/// pushes the subdirectories. Symlinks are never followed; nothing is opened for writing.
struct WorkspaceScanner {
    struct Finding {
        /// Relative to the workspace.
        var relativePath: String
        var isSymlink: Bool
        /// `workspace: NAME` or `content: NAME`.
        var rule: String
        var ruleID: String
    }

    struct Result {
        var findings: [Finding] = []
        var filesVisited = 0
        var directoriesVisited = 0
        var contentScanned = 0
        var bytesScanned = 0
        var cacheHits = 0
        var cacheUsed = false
        var warnings: [String] = []
        /// What the cache should hold after this run.
        var records: [(ScanCache.Key, ScanCache.Record)] = []
        /// Some record differs from what the cache held (or some file could not be recorded).
        var cacheChanged = false

        mutating func merge(_ other: Result) {
            findings += other.findings
            filesVisited += other.filesVisited
            directoriesVisited += other.directoriesVisited
            contentScanned += other.contentScanned
            bytesScanned += other.bytesScanned
            cacheHits += other.cacheHits
            warnings += other.warnings
            records += other.records
            cacheChanged = cacheChanged || other.cacheChanged
        }
    }

    let rules: SecretRuleSet
    let root: String
    let cacheDirectory: String?
    /// Records of files whose mtime or ctime is this close to the scan's start are not stored.
    let racyWindowNanoseconds: Int64
    /// Worker threads; nil: one per processor, at most 8.
    var workers: Int? = nil

    func scan() -> Result {
        let rootFd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFd >= 0 else {
            var result = Result()
            result.warnings.append("workspace \(root) could not be opened: \(String(cString: strerror(errno)))")
            return result
        }
        defer { close(rootFd) }
        let startedAt = Posix.clock(CLOCK_REALTIME)
        let workspaceHash = Hash.fnv1a(Array(root.utf8))
        var cache: ScanCache?
        var cachePath: String?
        if let cacheDirectory {
            let path = Path.join(cacheDirectory, ScanCache.fileName(workspace: root))
            cachePath = path
            cache = ScanCache.load(path: path, fingerprint: rules.fingerprint, workspaceHash: workspaceHash)
        }

        let walk = Walk(rules: rules, rootFd: rootFd, cache: cache, racyBefore: startedAt - racyWindowNanoseconds)
        let count = workers ?? min(Posix.processorCount(), 8)
        Parallel.run(workers: count) { worker in walk.work(worker) }
        var result = walk.collect()
        result.cacheUsed = cache != nil

        // An unchanged tree rewrites nothing. Without misses every record is a hit, so fewer records
        // than the cache holds means files went away (more means hard links: one inode, one record).
        if let cacheDirectory, let cachePath,
           result.cacheChanged || cache == nil || result.records.count < cache!.count {
            if Posix.makeDirectories(cacheDirectory, mode: 0o700) {
                ScanCache.store(result.records, path: cachePath, fingerprint: rules.fingerprint,
                                workspaceHash: workspaceHash)
            }
        }
        return result
    }
}

/// The shared state of one walk: a stack of directories guarded by a mutex, and one result per worker.
private final class Walk: @unchecked Sendable {
    let check: EntryCheck
    let settings: ScanSettings
    let rootFd: Int32

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var stack: [(path: String, skipContent: Bool)] = [("", false)]
    private var active = 0
    private var seen: Set<ScanCache.Key> = []
    private var results: [Result] = []

    typealias Result = WorkspaceScanner.Result
    typealias Finding = WorkspaceScanner.Finding

    init(rules: SecretRuleSet, rootFd: Int32, cache: ScanCache?, racyBefore: Int64) {
        self.check = EntryCheck(rules: rules, cache: cache, racyBefore: racyBefore)
        self.settings = rules.settings
        self.rootFd = rootFd
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func collect() -> Result {
        var total = Result()
        for result in results { total.merge(result) }
        return total
    }

    func work(_ worker: Int) {
        var local = Result()
        let capacity = settings.maxFileSize + 1
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var subdirectories: [(path: String, skipContent: Bool)] = []
        while true {
            pthread_mutex_lock(mutex)
            while stack.isEmpty && active > 0 { pthread_cond_wait(condition, mutex) }
            guard let next = stack.popLast() else {
                pthread_cond_broadcast(condition)
                results.append(local)
                pthread_mutex_unlock(mutex)
                return
            }
            active += 1
            pthread_mutex_unlock(mutex)

            subdirectories.removeAll(keepingCapacity: true)
            list(next.path, skipContent: next.skipContent, into: &local, subdirectories: &subdirectories,
                 buffer: buffer, capacity: capacity)

            pthread_mutex_lock(mutex)
            stack += subdirectories
            active -= 1
            if !subdirectories.isEmpty || active == 0 { pthread_cond_broadcast(condition) }
            pthread_mutex_unlock(mutex)
        }
    }

    private func firstVisit(_ key: ScanCache.Key) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return seen.insert(key).inserted
    }

    private func list(_ directory: String, skipContent: Bool, into result: inout Result,
                      subdirectories: inout [(path: String, skipContent: Bool)],
                      buffer: UnsafeMutableRawPointer, capacity: Int) {
        let fd = directory.isEmpty
            ? openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            : openat(rootFd, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            result.warnings.append("\(directory.isEmpty ? "." : directory): not scanned: \(String(cString: strerror(errno)))")
            return
        }
        var info = stat()
        // Bind mounts can make a tree loop even without symlinks.
        if fstat(fd, &info) == 0 && !firstVisit(ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))) {
            close(fd)
            return
        }
        guard let dir = fdopendir(fd) else {
            close(fd)
            return
        }
        defer { closedir(dir) }
        let directoryFd = dirfd(dir)
        result.directoriesVisited += 1
        let prefix = directory.isEmpty ? "" : directory + "/"
        while let entry = readdir(dir) {
            var type = Posix.fileType(dType: entry.pointee.d_type)
            withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let cName = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                let length = strnlen(cName, raw.count)
                let name = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: length)
                if length == 1 && name[0] == 0x2E { return }
                if length == 2 && name[0] == 0x2E && name[1] == 0x2E { return }
                if type == nil {
                    var st = stat()
                    guard fstatat(directoryFd, cName, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
                    type = Posix.type(of: st)
                }
                func relative() -> String { prefix + String(decoding: name, as: UTF8.self) }
                if type! == .directory {
                    let path = relative()
                    subdirectories.append((path, skipContent || check.isSkipped(name: name, relative: path)))
                    return
                }
                if let finding = check.file(directoryFd, cName, name: name, type: type!, relative: relative,
                                            skipContent: skipContent, into: &result, buffer: buffer, capacity: capacity) {
                    result.findings.append(finding)
                }
            }
        }
    }
}
