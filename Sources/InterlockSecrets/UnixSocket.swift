#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// Unix stream socket calls with deadlines (nonblocking descriptors).
enum UnixSocket {
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return address
    }

    static func connect(_ fd: Int32, _ path: String) -> Bool {
        guard var address = address(path) else { return false }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // A listening Unix socket accepts at once or refuses (EAGAIN: backlog full): no waiting.
        return status == 0
    }

    static func bind(_ fd: Int32, _ path: String) -> Bool {
        guard var address = address(path) else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }

    /// The uid of the process at the other end (SO_PEERCRED: pid, uid, gid as 32-bit words).
    static func peerUID(_ fd: Int32) -> uid_t? {
        var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              Int(length) == MemoryLayout.size(ofValue: credentials) else { return nil }
        return credentials.1
    }

    static func wait(_ fd: Int32, events: Int16, deadline: Int64) -> Bool {
        while true {
            let left = (deadline - Posix.clock(CLOCK_MONOTONIC)) / 1_000_000
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            // Not `SystemCall.retrying`: after a signal (EINTR) the wait goes on for the time left
            // to the deadline, not for the whole timeout again.
            let n = poll(&p, 1, Int32(min(left, 60_000)))
            if n > 0 { return true }
            if n < 0 && errno != EINTR { return false }
        }
    }

    static func send(_ fd: Int32, _ bytes: [UInt8], deadline: Int64) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(SystemCallError) in
                    try SystemCall.retryingUnlessWouldBlock("send") { Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
                }
            }
            switch result {
            case .success(let n?) where n > 0: sent += n
            case .success(nil): guard wait(fd, events: Int16(POLLOUT), deadline: deadline) else { return false }
            default: return false
            }
        }
        return true
    }

    /// Everything until the peer closes, or nil on error or timeout.
    static func receiveAll(_ fd: Int32, deadline: Int64, limit: Int = 256 << 20) -> [UInt8]? {
        receive(fd, deadline: deadline, limit: limit, chunkSize: 65536, atClose: { $0 }, complete: { _ in nil })
    }

    /// Until the first NUL (the query), or nil.
    static func receiveMessage(_ fd: Int32, deadline: Int64, limit: Int = 1 << 16) -> [UInt8]? {
        receive(fd, deadline: deadline, limit: limit, chunkSize: 4096, atClose: { _ in nil }) { received in
            received.firstIndex(of: 0).map { Array(received[..<$0]) }
        }
    }

    /// Reads until `complete` finds what it waits for in what has arrived (its answer), or the
    /// peer closes (`atClose` of what arrived); nil on error, timeout or past `limit` bytes.
    private static func receive(_ fd: Int32, deadline: Int64, limit: Int, chunkSize: Int, atClose: ([UInt8]) -> [UInt8]?,
                                complete: ([UInt8]) -> [UInt8]?) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemCallError) in try SystemCall.retryingUnlessWouldBlock("recv") { recv(fd, raw.baseAddress, raw.count, 0) } }
            }
            guard case .success(let received) = result else { return nil }
            guard let n = received else {
                guard wait(fd, events: Int16(POLLIN), deadline: deadline) else { return nil }
                continue
            }
            guard n > 0 else { return atClose(out) }
            out += chunk[0..<n]
            if let answer = complete(out) { return answer }
            if out.count > limit { return nil }
        }
    }
}
