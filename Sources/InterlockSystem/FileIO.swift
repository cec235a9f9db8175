#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole-file and whole-buffer I/O on paths and raw descriptors, without Foundation: the loops
/// that read(2) and write(2) need (short counts, EINTR), written once.
public enum FileIO {
    /// A whole small file as text (procfs, cgroupfs, sysctl); nil if it cannot be opened. A read
    /// error ends the file where it occurred, as end of file would.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return String(decoding: readToEnd(fd, chunk: 4096), as: UTF8.self)
    }

    /// Everything `fd` yields until end of file or the first error (a pipe, a socket the peer
    /// closes, procfs): what was read.
    public static func readToEnd(_ fd: Int32, chunk: Int = 65536) -> [UInt8] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                (try? SystemCall.retrying("read") { Glibc.read(fd, raw.baseAddress, raw.count) }) ?? 0
            }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// The whole file at `path`. Throws if it cannot be opened or read, and with EFBIG once it
    /// is found larger than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws(SystemCallError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Array's withUnsafeMutableBytes rethrows untyped: the Result keeps the error's type.
            let n = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemCallError) in try SystemCall.retrying("read \(path)") { Glibc.read(fd, raw.baseAddress, raw.count) } }
            }.get()
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw SystemCallError("read \(path)", errno: .fileTooLarge) }
        }
    }

    /// Reads into `buffer` until `capacity` bytes, end of file or an error; the count read.
    public static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        var total = 0
        while total < capacity {
            guard let n = try? SystemCall.retrying("read", { Glibc.read(fd, buffer + total, capacity - total) }), n > 0 else { break }
            total += n
        }
        return total
    }

    /// A whole regular file of at most `limit` bytes; nil if the path is not a regular file (it
    /// is opened non-blocking, so a FIFO cannot hang the caller), is larger, or grew past its
    /// measured size while read.
    public static func readRegularFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= limit else { return nil }
        // One byte more than measured: reading it means the file grew.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        let count = bytes.withUnsafeMutableBytes { raw in
            raw.baseAddress.map { readFully(fd, $0, raw.count) } ?? 0
        }
        guard count <= Int(info.st_size) else { return nil }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Writes `text` in one write(2), as procfs and cgroupfs require (a control file acts on
    /// each write; a short one is an error).
    public static func write(_ path: String, _ text: String) throws(SystemCallError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw SystemCallError("write \(path)") }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes; on a non-blocking descriptor that
    /// is full, waits until it can take more. False on any other failure.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            do {
                guard let n = try SystemCall.retryingUnlessWouldBlock("write", {
                    Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                }) else {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, -1)
                    continue
                }
                offset += n
            } catch {
                return false
            }
        }
        return true
    }

    /// The canonical absolute path (symbolic links, "." and ".." resolved); nil if `path` does
    /// not exist or cannot be resolved.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
