#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

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
