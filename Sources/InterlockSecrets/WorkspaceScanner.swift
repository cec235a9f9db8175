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

/// How one directory entry that is not a directory is judged: the file-name rules, then the
/// content rules (from the cache when the file is unchanged). The walk and the index keeper
/// (`IndexKeeper`) share it, so that both reach the same verdict on the same file.
struct EntryCheck: @unchecked Sendable {
    typealias Result = WorkspaceScanner.Result
    typealias Finding = WorkspaceScanner.Finding

    let rules: SecretRuleSet
    let matcher: ContentMatcher
    let settings: ScanSettings
    let workspaceRules: WorkspaceRules
    let cache: ScanCache?
    let racyBefore: Int64

    init(rules: SecretRuleSet, cache: ScanCache?, racyBefore: Int64) {
        self.rules = rules
        self.matcher = rules.content
        self.settings = rules.settings
        self.workspaceRules = rules.workspace
        self.cache = cache
        self.racyBefore = racyBefore
    }

    /// The finding for a regular file or symlink `cName` of `directoryFd`, counted in `result`;
    /// nil for anything else or a clean file.
    func file(_ directoryFd: Int32, _ cName: UnsafePointer<CChar>, name: UnsafeBufferPointer<UInt8>,
              type: Posix.FileType, relative: () -> String, skipContent: Bool, into result: inout Result,
              buffer: UnsafeMutableRawPointer, capacity: Int) -> Finding? {
        guard type == .regular || type == .symlink else { return nil }
        result.filesVisited += 1
        var found: UInt64?  // content rules, once read
        if let rule = workspaceRules.match(name: name, relativePath: { Array(relative().utf8) }) {
            let r = workspaceRules.rules[rule]
            if r.contentMask == 0 {
                return Finding(relativePath: relative(), isSymlink: type == .symlink,
                               rule: "workspace: " + r.name, ruleID: r.id)
            }
            // A name that counts only with the right content: read it, skipped directory or not.
            guard type == .regular else { return nil }
            let bits = content(directoryFd, cName, into: &result, buffer: buffer, capacity: capacity)
            if bits & r.contentMask != 0 {
                return Finding(relativePath: relative(), isSymlink: false, rule: "workspace: " + r.name, ruleID: r.id)
            }
            found = bits
        }
        guard type == .regular && !skipContent else { return nil }
        let bits = found ?? content(directoryFd, cName, into: &result, buffer: buffer, capacity: capacity)
        guard bits != 0 else { return nil }
        let info = rules.contentRules[bits.trailingZeroBitCount]
        return Finding(relativePath: relative(), isSymlink: false, rule: "content: " + info.name, ruleID: info.id)
    }

    func isSkipped(name: UnsafeBufferPointer<UInt8>, relative: String) -> Bool {
        if !settings.skipContentNames.isEmpty && settings.skipContentNames.contains(String(decoding: name, as: UTF8.self)) {
            return true
        }
        guard !settings.skipContentTails.isEmpty else { return false }
        var copy = relative
        return copy.withUTF8 { path in
            settings.skipContentTails.contains { tail in
                Bytes.hasSuffix(path, tail) && (path.count == tail.count || path[path.count - tail.count - 1] == 0x2F)
            }
        }
    }

    private static func record(_ info: stat, result: UInt64) -> ScanCache.Record {
        ScanCache.Record(size: UInt64(info.st_size), modified: Posix.nanoseconds(info.st_mtim),
                         changed: Posix.nanoseconds(info.st_ctim), result: result)
    }

    /// The content rules (bits) a file matches: from the cache when size, mtime and ctime are
    /// unchanged, else read (at most `max_file_size`; binary files are not scanned).
    func content(_ directoryFd: Int32, _ name: UnsafePointer<CChar>, into result: inout Result,
                 buffer: UnsafeMutableRawPointer, capacity: Int) -> UInt64 {
        let flags = ScanCache.binaryFlag | ScanCache.tooLargeFlag
        if let cache {
            var info = stat()
            if fstatat(directoryFd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                let key = ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                if let cached = cache.lookup(key), cached.size == UInt64(info.st_size),
                   cached.modified == Posix.nanoseconds(info.st_mtim), cached.changed == Posix.nanoseconds(info.st_ctim) {
                    result.cacheHits += 1
                    result.records.append((key, cached))
                    return cached.result & ~flags
                }
            }
        }
        result.cacheChanged = true
        let fd = openat(directoryFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Posix.type(of: info) == .regular else { return 0 }
        let key = ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        var storable = Posix.nanoseconds(info.st_ctim) < racyBefore && Posix.nanoseconds(info.st_mtim) < racyBefore
        let (found, count) = scan(openFile: fd, size: Int(info.st_size), enabled: matcher.allRules,
                                  buffer: buffer, capacity: capacity)
        if let count {
            result.contentScanned += 1
            result.bytesScanned += count
            if count != Int(info.st_size) { storable = false }
        }
        if storable { result.records.append((key, Self.record(info, result: found))) }
        return found & ~flags
    }

    /// The cache's result for a file (its stat), when its size, mtime and ctime are those recorded.
    func cached(_ info: stat) -> UInt64? {
        guard let cache,
              let record = cache.lookup(ScanCache.Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))),
              record.size == UInt64(info.st_size), record.modified == Posix.nanoseconds(info.st_mtim),
              record.changed == Posix.nanoseconds(info.st_ctim) else { return nil }
        return record.result
    }

    /// The content rules (bits of `enabled`, or the binary / too-large flag) an open regular file
    /// of `size` bytes matches, read from its current offset; the byte count read, nil when the
    /// file was too large to read. The scan and the live judge (`SecretJudge`) share it.
    func scan(openFile fd: Int32, size: Int, enabled: UInt64, buffer: UnsafeMutableRawPointer,
              capacity: Int) -> (found: UInt64, count: Int?) {
        let maximum = settings.maxFileSize
        guard size <= maximum else { return (ScanCache.tooLargeFlag, nil) }
        // The first binary_probe bytes decide whether the rest is worth reading: object files,
        // images and archives cost one small read.
        let probe = min(size, settings.binaryProbe)
        var count = FileIO.readFully(fd, buffer, probe)
        if count > 0 && memchr(buffer, 0, count) != nil { return (ScanCache.binaryFlag, count) }
        // One byte more than the size tells a file that grew since fstat.
        if count == probe { count += FileIO.readFully(fd, buffer + count, min(size + 1, capacity) - count) }
        if count > maximum { return (ScanCache.tooLargeFlag, count) }
        let text = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: count)
        return (matcher.scan(text, enabled: enabled), count)
    }
}
