#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem
import NIOPosix

/// Where `interlock approve|deny` finds a run: `$XDG_RUNTIME_DIR/interlock` (else
/// `/tmp/interlock-UID`), mode 0700, one socket per run (`approve-RUN.sock`). The supervisor
/// hides the directory from the sandbox (and the sandbox has its own /tmp).
public enum ApprovalSocket {
    public static func directory(environment: [String: String], uid: uid_t = getuid()) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), access(runtime, W_OK) == 0 {
            return runtime + "/interlock"
        }
        return "/tmp/interlock-\(uid)"
    }

    public static func path(directory: String, runID: String) -> String { directory + "/approve-\(runID).sock" }

    /// The run of a request id `RUN-N`.
    public static func runID(ofRequest id: String) -> String? {
        guard let dash = id.lastIndex(of: "-"), dash > id.startIndex else { return nil }
        return String(id[..<dash])
    }

    /// Creates the directory (0700, owned by the caller) if needed; false if it is not usable.
    public static func prepare(directory: String) -> Bool {
        if mkdir(directory, 0o700) != 0, errno != EEXIST { return false }
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else { return false }
        return (info.st_mode & 0o077) == 0 || chmod(directory, 0o700) == 0
    }

    /// One request to a run's socket; the answer's lines.
    public static func send(_ line: String, to path: String) -> Result<String, SocketError> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketError(message: "socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var address = sockaddr_un()
        guard fill(&address, path) else { return .failure(SocketError(message: "path too long: \(path)")) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return .failure(SocketError(message: "cannot reach \(path): \(String(cString: strerror(errno)))")) }
        let bytes = Array((line + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { return .failure(SocketError(message: "write failed")) }
        return .success(String(decoding: FileIO.readToEnd(fd, chunk: 4096), as: UTF8.self))
    }

    static func fill(_ address: inout sockaddr_un, _ path: String) -> Bool {
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return true
    }

    public struct SocketError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
