#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

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
