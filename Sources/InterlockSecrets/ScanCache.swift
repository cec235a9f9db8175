#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// What the content scan found in one file, remembered by (device, inode) with the size and the
/// modification and change times (nanoseconds) it had when it was read.
///
/// Content results do not depend on the file's name, so records hold no path: the cache reveals
/// neither names nor contents, only which inodes held which kind of secret. A record is used
/// only while size, mtime and ctime are all unchanged; ctime cannot be set from user space, so
/// `touch -d` or `tar` restoring an old mtime does not fool it. Records of files changed in the
/// second before a scan are not stored ("racily clean", as git calls it: a later write within
/// the same timestamp tick would be invisible), so those files are read again next time.
///
/// File: `<cacheDirectory>/<fnv1a64(workspace)>.scan`, mode 0600, native byte order: a 32-byte
/// header (magic "ILSCAN01", rules fingerprint, workspace hash, record count) and 48-byte
/// records (dev, ino, size, mtime ns, ctime ns, result) sorted by (dev, ino), so that loading is
/// one read and a lookup a binary search. Unreadable, truncated, unsorted or foreign files are
/// ignored and replaced.
struct ScanCache: Sendable {
    struct Key: Hashable, Comparable, Sendable {
        var device: UInt64
        var inode: UInt64
        static func < (a: Key, b: Key) -> Bool { (a.device, a.inode) < (b.device, b.inode) }
    }

    struct Record: Equatable, Sendable {
        var size: UInt64
        var modified: Int64
        var changed: Int64
        var result: UInt64
    }

    static let magic: UInt64 = 0x3130_4E41_4353_4C49  // "ILSCAN01" little-endian
    /// Result flags: the file was not content-scanned.
    static let binaryFlag: UInt64 = 1 << 63
    static let tooLargeFlag: UInt64 = 1 << 62
    static let headerWords = 4
    static let recordWords = 6

    /// The whole file as words.
    private let words: [UInt64]
    let count: Int

    private init(words: [UInt64], count: Int) {
        self.words = words
        self.count = count
    }

    static func fileName(workspace: String) -> String {
        Hash.hex(Hash.fnv1a(Array(workspace.utf8))) + ".scan"
    }

    func lookup(_ key: Key) -> Record? {
        words.withUnsafeBufferPointer { w -> Record? in
            var low = 0
            var high = count
            while low < high {
                let middle = (low + high) / 2
                let o = Self.headerWords + middle * Self.recordWords
                let k = Key(device: w[o], inode: w[o + 1])
                if k == key {
                    return Record(size: w[o + 2], modified: Int64(bitPattern: w[o + 3]),
                                  changed: Int64(bitPattern: w[o + 4]), result: w[o + 5])
                }
                if k < key { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    static func load(path: String, fingerprint: UInt64, workspaceHash: UInt64) -> ScanCache? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        // Only a file this user wrote and nobody else may change: a forged record would hide a secret's
        // discovery (it would pass the file as clean).
        guard fstat(fd, &info) == 0, Posix.type(of: info) == .regular, info.st_uid == geteuid(),
              info.st_mode & 0o022 == 0, Int(info.st_size) >= headerWords * 8,
              (Int(info.st_size) - headerWords * 8) % (recordWords * 8) == 0 else { return nil }
        let total = Int(info.st_size) / 8
        var words = [UInt64](repeating: 0, count: total)
        let read = words.withUnsafeMutableBytes { FileIO.readFully(fd, $0.baseAddress!, $0.count) }
        let count = (total - headerWords) / recordWords
        guard read == Int(info.st_size), words[0] == magic, words[1] == fingerprint, words[2] == workspaceHash,
              Int(words[3]) == count else { return nil }
        // Sorted, strictly: binary search depends on it.
        for i in 1..<max(count, 1) {
            let a = headerWords + (i - 1) * recordWords, b = a + recordWords
            guard Key(device: words[a], inode: words[a + 1]) < Key(device: words[b], inode: words[b + 1]) else {
                return nil
            }
        }
        return ScanCache(words: words, count: count)
    }

    /// Writes atomically (a temporary file renamed over the old one). Failures are ignored:
    /// the cache only saves time.
    static func store(_ entries: [(Key, Record)], path: String, fingerprint: UInt64, workspaceHash: UInt64) {
        let sorted = entries.sorted { $0.0 < $1.0 }
        var buffer: [UInt64] = [magic, fingerprint, workspaceHash, 0]
        buffer.reserveCapacity(headerWords + sorted.count * recordWords)
        var last: Key?
        var count: UInt64 = 0
        for (key, record) in sorted where key != last {  // hard links: one record per inode
            last = key
            count += 1
            buffer.append(key.device)
            buffer.append(key.inode)
            buffer.append(record.size)
            buffer.append(UInt64(bitPattern: record.modified))
            buffer.append(UInt64(bitPattern: record.changed))
            buffer.append(record.result)
        }
        buffer[3] = count
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let size = buffer.count * 8
        let written = buffer.withUnsafeBytes { FileIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
        close(fd)
        if !written || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
