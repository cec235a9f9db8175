#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSplice
import InterlockSystem
import NIOCore

/// Typed, throwing wrappers of the calls the splice relay makes. "Would block" is `nil`, not an
/// error; EINTR is retried.
enum Syscall {
    /// Moves up to `count` bytes between a socket and a pipe. 0: end of stream.
    static func splice(from source: Int32, to destination: Int32, count: Int) throws(SystemCallError) -> Int? {
        try SystemCall.retryingUnlessWouldBlock("splice") { interlock_splice(source, destination, count) }
    }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int? {
        try SystemCall.retryingUnlessWouldBlock("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// A non-blocking, close-on-exec pipe.
    static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard interlock_pipe(&ends) == 0 else { throw SystemCallError("pipe2") }
        return (ends[0], ends[1])
    }

    /// F_SETPIPE_SZ: the new size, or nil if the system refused.
    static func growPipe(_ fd: Int32, to size: Int32) -> Int? {
        let result = interlock_set_pipe_size(fd, size)
        return result > 0 ? Int(result) : nil
    }

    /// Accepts one connection (non-blocking, close-on-exec); nil when none is waiting.
    static func accept(_ listener: Int32) throws(SystemCallError) -> Int32? {
        let accepted = try SystemCall.retryingUnlessWouldBlock("accept4") { Int(interlock_accept(listener)) }
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
        default: throw SystemCallError("socket", code: EAFNOSUPPORT)
        }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
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
        throw SystemCallError("connect", code: error)
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
        guard fd >= 0 else { throw SystemCallError("epoll_create1") }
        return fd
    }

    static func epollControl(_ epoll: Int32, _ operation: Int32, fd: Int32, events: UInt32, token: UInt64) throws(SystemCallError) {
        guard interlock_epoll_ctl(epoll, operation, fd, events, token) == 0 else {
            throw SystemCallError("epoll_ctl")
        }
    }

    static func eventFD() throws(SystemCallError) -> Int32 {
        let fd = interlock_eventfd()
        guard fd >= 0 else { throw SystemCallError("eventfd") }
        return fd
    }
}
