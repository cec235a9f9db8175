#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// Paths as a sandboxed caller named them, seen from the supervisor while the call is held
/// (seccomp notification). Sandbox paths are host paths: views never move them.
enum CallerPath {
    /// `raw` made absolute against the caller's `dirfd` (AT_FDCWD: its working directory), with
    /// `..` folded and the parent's symlinks resolved where it exists.
    static func absolute(_ raw: String, dirfd: Int32 = AT_FDCWD, pid: pid_t) -> String? {
        var path = raw
        if !raw.hasPrefix("/") {
            let base = dirfd == AT_FDCWD ? link("/proc/\(pid)/cwd") : link("/proc/\(pid)/fd/\(dirfd)")
            guard let base else { return nil }
            path = base + "/" + raw
        }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(part) }
        }
        let folded = "/" + parts.joined(separator: "/")
        guard let last = parts.last, let dir = FileIO.realPath(parent(folded)) else { return folded }
        return (dir == "/" ? "" : dir) + "/" + last
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
