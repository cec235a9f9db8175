#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// The workspace scan index: a per-workspace keeper process (`IndexKeeper`) holds inotify watches
/// on every workspace directory and keeps the workspace scan's result current, so that a repeat
/// run asks it instead of stat-ing every file.
///
/// A run connects to `<cacheDirectory>/<fnv1a64(workspace)>.sock`, checks that the keeper runs as
/// its own user (SO_PEERCRED), and sends its identity: protocol version, rules fingerprint, the
/// interlock binary (dev, inode, size, mtime) and the workspace (path, dev, inode). The keeper
/// answers only if all match what it was started with, and only after draining its inotify
/// queue: inotify queues an event when the modifying call is made, so every change completed
/// before the query is in the answer. Anything else (no keeper, no answer in time, a mismatch,
/// an overflowed queue, a mount change in the workspace) makes the run do the full scan.
public struct ScanIndexOptions: Sendable {
    /// Where the keeper's socket and lock live: the scan cache directory (outside the workspace).
    public var directory: String
    /// A full scan of at least this many files starts a keeper (smaller trees scan fast enough).
    public var minimumFiles: Int
    /// How long a run waits for the keeper's answer before scanning itself.
    public var timeoutMilliseconds: Int32
    /// Starts a keeper for the workspace (detached; it outlives the run).
    public var startKeeper: @Sendable (_ workspace: String) -> Void

    public init(directory: String, minimumFiles: Int = 5_000, timeoutMilliseconds: Int32 = 3_000,
                startKeeper: @escaping @Sendable (_ workspace: String) -> Void) {
        self.directory = directory
        self.minimumFiles = minimumFiles
        self.timeoutMilliseconds = timeoutMilliseconds
        self.startKeeper = startKeeper
    }
}

enum ScanIndex {
    static let version = "ilidx1"

    static func socketPath(directory: String, workspace: String) -> String {
        Path.join(directory, Hash.hex(Hash.fnv1a(Array(workspace.utf8))) + ".sock")
    }

    static func lockPath(directory: String, workspace: String) -> String {
        Path.join(directory, Hash.hex(Hash.fnv1a(Array(workspace.utf8))) + ".keeper")
    }

    /// The directory holds sockets other users must not plant: ours, and writable by us alone.
    static func directoryIsPrivate(_ directory: String) -> Bool {
        guard let info = Posix.lstatInfo(directory) else { return false }
        return Posix.type(of: info) == .directory && info.st_uid == geteuid() && info.st_mode & 0o022 == 0
    }

    /// What a run and a keeper must agree on for the keeper's answer to be the run's scan.
    static func identity(rules: SecretRuleSet, workspace: String, root: stat) -> String? {
        guard let exe = Posix.statInfo("/proc/self/exe") else { return nil }
        // Credentials decide which directories can be read, and so what the walk sees.
        var groups = [gid_t](repeating: 0, count: 256)
        let count = getgroups(Int32(groups.count), &groups)
        guard count >= 0 else { return nil }
        let groupList = groups[0..<Int(count)].sorted().map(String.init).joined(separator: ",")
        return "\(version) rules=\(Hash.hex(rules.fingerprint)) exe=\(exe.st_dev):\(exe.st_ino):\(exe.st_size):"
            + "\(Posix.nanoseconds(exe.st_mtim)) root=\(root.st_dev):\(root.st_ino) uid=\(geteuid()) gid=\(getegid())"
            + " groups=\(groupList) ws=\(workspace)"
    }

    /// Whether no keeper holds the workspace's lock (one may still be in its first walk, not yet listening).
    static func keeperAbsent(directory: String, workspace: String) -> Bool {
        let fd = open(lockPath(directory: directory, workspace: workspace), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) == 0  // released on close
    }

    /// Why a keeper for this workspace failed to start in the last ten minutes, or nil: a tree the
    /// keeper cannot follow (a bind-mount loop, a network file system) is not walked again by a
    /// new keeper at every run.
    static func recentFailure(directory: String, workspace: String) -> String? {
        let path = lockPath(directory: directory, workspace: workspace) + ".failed"
        guard let info = Posix.lstatInfo(path), info.st_uid == geteuid(),
              Posix.clock(CLOCK_REALTIME) - Posix.nanoseconds(info.st_mtim) < 600_000_000_000 else { return nil }
        let text = FileIO.readRegularFile(path, limit: 4096).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").first.map(String.init) ?? "unknown"
    }

    // MARK: - Wire format: NUL-terminated fields (file names cannot hold NUL)

    /// `ok`, files, directories, findings count, warnings count, then per finding
    /// `l|f`, rule, rule id, relative path, then the warnings. Or `no`, reason.
    static func encode(_ result: WorkspaceScanner.Result) -> [UInt8] {
        var out: [UInt8] = []
        func field(_ s: String) { out += Array(s.utf8); out.append(0) }
        field("ok")
        field(String(result.filesVisited))
        field(String(result.directoriesVisited))
        field(String(result.findings.count))
        field(String(result.warnings.count))
        for f in result.findings {
            field(f.isSymlink ? "l" : "f")
            field(f.rule)
            field(f.ruleID)
            field(f.relativePath)
        }
        for w in result.warnings { field(w) }
        return out
    }

    static func encodeRefusal(_ reason: String) -> [UInt8] {
        Array("no".utf8) + [0] + Array(reason.utf8) + [0]
    }

    enum Answer {
        case result(WorkspaceScanner.Result)
        case refused(String)
    }

    static func decode(_ bytes: [UInt8]) -> Answer? {
        var fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.last == "" else { return nil }  // every field NUL-terminated: the answer is whole
        fields.removeLast()
        guard let kind = fields.first else { return nil }
        if kind == "no" { return fields.count == 2 ? .refused(fields[1]) : nil }
        guard kind == "ok", fields.count >= 5, let files = Int(fields[1]), let directories = Int(fields[2]),
              let findings = Int(fields[3]), let warnings = Int(fields[4]), findings >= 0, warnings >= 0,
              fields.count == 5 + findings * 4 + warnings else { return nil }
        var result = WorkspaceScanner.Result()
        result.filesVisited = files
        result.directoriesVisited = directories
        for i in 0..<findings {
            let o = 5 + i * 4
            guard fields[o] == "l" || fields[o] == "f" else { return nil }
            result.findings.append(WorkspaceScanner.Finding(relativePath: fields[o + 3], isSymlink: fields[o] == "l",
                                                            rule: fields[o + 1], ruleID: fields[o + 2]))
        }
        result.warnings = Array(fields[(5 + findings * 4)...])
        return .result(result)
    }

    // MARK: - Run side

    /// The keeper's answer for this workspace, or why there is none.
    static func query(options: ScanIndexOptions, rules: SecretRuleSet, workspace: String) -> (WorkspaceScanner.Result?, String) {
        guard directoryIsPrivate(options.directory) else { return (nil, "no index directory") }
        guard let root = Posix.statInfo(workspace), let identity = identity(rules: rules, workspace: workspace, root: root) else {
            return (nil, "workspace or binary not found")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return (nil, "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard UnixSocket.connect(fd, socketPath(directory: options.directory, workspace: workspace)) else {
            return (nil, "no keeper")
        }
        guard UnixSocket.peerUID(fd) == geteuid() else { return (nil, "keeper socket owned by another user") }
        let deadline = Posix.clock(CLOCK_MONOTONIC) + Int64(options.timeoutMilliseconds) * 1_000_000
        guard UnixSocket.send(fd, Array(identity.utf8) + [0], deadline: deadline),
              let reply = UnixSocket.receiveAll(fd, deadline: deadline) else {
            return (nil, "keeper did not answer in \(options.timeoutMilliseconds) ms")
        }
        switch decode(reply) {
        case .result(let result)?: return (result, "index")
        case .refused(let reason)?: return (nil, "keeper refused: \(reason)")
        case nil: return (nil, "keeper answer malformed")
        }
    }
}

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
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemCallError) in try SystemCall.retryingUnlessWouldBlock("recv") { recv(fd, raw.baseAddress, raw.count, 0) } }
            }
            guard case .success(let received) = result else { return nil }
            guard let n = received else {
                guard wait(fd, events: Int16(POLLIN), deadline: deadline) else { return nil }
                continue
            }
            if n > 0 {
                out += chunk[0..<n]
                if out.count > limit { return nil }
                continue
            }
            return out
        }
    }

    /// Until the first NUL (the query), or nil.
    static func receiveMessage(_ fd: Int32, deadline: Int64, limit: Int = 1 << 16) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemCallError) in try SystemCall.retryingUnlessWouldBlock("recv") { recv(fd, raw.baseAddress, raw.count, 0) } }
            }
            guard case .success(let received) = result else { return nil }
            guard let n = received else {
                guard wait(fd, events: Int16(POLLIN), deadline: deadline) else { return nil }
                continue
            }
            if n > 0 {
                out += chunk[0..<n]
                if let end = out.firstIndex(of: 0) { return Array(out[..<end]) }
                if out.count > limit { return nil }
                continue
            }
            return nil
        }
    }
}
