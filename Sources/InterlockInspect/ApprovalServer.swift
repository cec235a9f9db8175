#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem
import NIOPosix

/// The run's approval socket: `approve ID`, `deny ID`, `list`. A caller must be the run's user
/// (SO_PEERCRED) and outside the sandbox (its pid namespace is the supervisor's).
public final class ApprovalServer: Sendable {
    public let path: String
    private let listener: Int32
    private let wake: (Int32, Int32)
    private let pool: NIOThreadPool

    public init(path: String, desk: ApprovalDesk) throws(ApprovalSocket.SocketError) {
        self.path = path
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ApprovalSocket.SocketError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        guard ApprovalSocket.fill(&address, path) else {
            close(fd)
            throw ApprovalSocket.SocketError(message: "path too long: \(path)")
        }
        let mask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(mask)
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ApprovalSocket.SocketError(message: "cannot listen on \(path): \(reason)")
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0, fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC) == 0 else {
            close(fd)
            throw ApprovalSocket.SocketError(message: "pipe: \(String(cString: strerror(errno)))")
        }
        listener = fd
        wake = (pipeFDs[0], pipeFDs[1])
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let (listener, wakeRead) = (fd, pipeFDs[0])
        pool.submit { _ in ApprovalServer.serve(listener: listener, wake: wakeRead, desk: desk) }
    }

    public func shutdown() {
        var byte: UInt8 = 1
        _ = write(wake.1, &byte, 1)
        try? pool.syncShutdownGracefully()
        close(listener)
        close(wake.0)
        close(wake.1)
        unlink(path)
    }

    private static func serve(listener: Int32, wake: Int32, desk: ApprovalDesk) {
        let ownNamespace = namespace(of: getpid())
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            guard (try? SystemCall.retrying("poll") { poll(&fds, 2, -1) }) != nil else { return }
            if fds[1].revents != 0 { return }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            answer(client, desk: desk, ownNamespace: ownNamespace)
            close(client)
        }
    }

    private static func answer(_ fd: Int32, desk: ApprovalDesk, ownNamespace: String?) {
        func reply(_ text: String) {
            let bytes = Array((text + "\n").utf8)
            _ = write(fd, bytes, bytes.count)
        }
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var credentials = (Int32(0), UInt32(0), UInt32(0))
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return reply("error: no peer credentials") }
        let (pid, uid, _) = credentials
        guard uid == getuid() else { return reply("error: only uid \(getuid()) (the run's user) may answer") }
        guard pid > 0, namespace(of: pid) == ownNamespace else { return reply("error: answers must come from outside the sandbox") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 512, read(fd, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("list", 1):
            let held = desk.pending
            reply(held.isEmpty ? "nothing held" : held.map { "\($0.id)\t\($0.summary)" }.joined(separator: "\n"))
        case ("approve", 2), ("deny", 2):
            let approved = words[0] == "approve"
            let by = "uid \(uid) (pid \(pid)) via interlock \(words[0])"
            reply(desk.decide(id: words[1], approved: approved, by: by)
                  ? "\(approved ? "approved" : "denied"): \(words[1])" : "error: no request \(words[1]) is waiting")
        default:
            reply("error: expected 'list', 'approve ID' or 'deny ID'")
        }
    }

    private static func namespace(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = readlink("/proc/\(pid)/ns/pid", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
