#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what, and errno. Every wrapper in this module throws it.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Runs `body` until it stops failing with EINTR; throws on any other failure (result < 0).
@discardableResult
func retryingEINTR<T: BinaryInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        if errno == EINTR { continue }
        throw SystemCallError(call())
    }
}

/// When a process started (field 22 of /proc/PID/stat, clock ticks since boot): with the pid, an
/// identity that pid reuse cannot fake.
enum ProcessStart {
    static func ticks(of pid: String = "self") -> UInt64? {
        guard let stat = FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Counted from after the command name, field 22 is index 19.
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}

enum FileIO {
    /// Whole small file as a string (procfs, cgroupfs, sysctl).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` in one write(2), as procfs and cgroupfs require.
    static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw SystemCallError("write \(path)") }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, -1)
                    continue
                }
                return false
            }
            offset += n
        }
        return true
    }
}
