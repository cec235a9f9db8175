#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSplice
import NIOCore

/// A system call that failed: which one, and errno.
struct SystemCallError: Error, Sendable, CustomStringConvertible {
    let call: String
    let errno: Int32

    var description: String { "\(call): \(String(cString: strerror(errno)))" }
    /// The strerror text alone (what the refusal and SOCKS reply codes are derived from).
    var reason: String { String(cString: strerror(errno)) }
}

/// Typed, throwing wrappers of the calls the splice relay makes. "Would block" is `nil`, not an
/// error; EINTR is retried.
enum Syscall {
    private static func check(_ result: Int, _ call: String) throws(SystemCallError) -> Int? {
        if result >= 0 { return result }
        let error = Glibc.errno
        if error == EAGAIN || error == EWOULDBLOCK { return nil }
        throw SystemCallError(call: call, errno: error)
    }

    private static func retrying(_ call: String, _ body: () -> Int) throws(SystemCallError) -> Int? {
        while true {
            let result = body()
            if result < 0, Glibc.errno == EINTR { continue }
            return try check(result, call)
        }
    }

    /// Moves up to `count` bytes between a socket and a pipe. 0: end of stream.
    static func splice(from source: Int32, to destination: Int32, count: Int) throws(SystemCallError) -> Int? {
        try retrying("splice") { interlock_splice(source, destination, count) }
    }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int? {
        try retrying("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// A non-blocking, close-on-exec pipe.
    static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard interlock_pipe(&ends) == 0 else { throw SystemCallError(call: "pipe2", errno: Glibc.errno) }
        return (ends[0], ends[1])
    }

    /// F_SETPIPE_SZ: the new size, or nil if the system refused.
    static func growPipe(_ fd: Int32, to size: Int32) -> Int? {
        let result = interlock_set_pipe_size(fd, size)
        return result > 0 ? Int(result) : nil
    }

    /// Accepts one connection (non-blocking, close-on-exec); nil when none is waiting.
    static func accept(_ listener: Int32) throws(SystemCallError) -> Int32? {
        let accepted = try retrying("accept4") { Int(interlock_accept(listener)) }
        return accepted.map { Int32($0) }
    }

    /// A non-blocking TCP socket connecting to `address`: true if already connected, false while
    /// the connection is in progress (wait for writability, then `pendingError`). Throws if the
    /// connection failed at once (refused, unreachable).
    static func connect(_ address: SocketAddress) throws(SystemCallError) -> (fd: Int32, connected: Bool) {
        let family: Int32
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        default: throw SystemCallError(call: "socket", errno: EAFNOSUPPORT)
        }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket", errno: Glibc.errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, socklen_t(length)) }
        if result == 0 { return (fd, true) }
        var error = Glibc.errno
        if error == EINPROGRESS || error == EINTR {
            // A nearby origin (loopback, the LAN) has often answered before connect returns:
            // asking now saves the caller a round through the splice thread's epoll.
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&entry, 1, 0) == 1 else { return (fd, false) }
            error = pendingError(fd)
            if error == 0 { return (fd, entry.revents & Int16(POLLOUT) != 0) }
        }
        _ = Glibc.close(fd)
        throw SystemCallError(call: "connect", errno: error)
    }

    /// SO_ERROR: the outcome of a non-blocking connect, or a socket's pending error (0: none).
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return Glibc.errno }
        return value
    }

    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    static func epollCreate() throws(SystemCallError) -> Int32 {
        let fd = interlock_epoll_create()
        guard fd >= 0 else { throw SystemCallError(call: "epoll_create1", errno: Glibc.errno) }
        return fd
    }

    static func epollControl(_ epoll: Int32, _ operation: Int32, fd: Int32, events: UInt32, token: UInt64) throws(SystemCallError) {
        guard interlock_epoll_ctl(epoll, operation, fd, events, token) == 0 else {
            throw SystemCallError(call: "epoll_ctl", errno: Glibc.errno)
        }
    }

    static func eventFD() throws(SystemCallError) -> Int32 {
        let fd = interlock_eventfd()
        guard fd >= 0 else { throw SystemCallError(call: "eventfd", errno: Glibc.errno) }
        return fd
    }
}
