#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// Moves what the end-of-run sweep takes out of the workspace into the run's quarantine
/// directory: directories 0700, files 0600 (nothing in it runs, and only the invoking user,
/// who owns the state directory, can reach it).
enum Quarantine {
    /// Moves `name` (in directory `fd`) to `destination`; returns where it went, or nil.
    static func move(_ fd: Int32, _ name: String, _ st: stat, to destination: String) -> String? {
        guard makeParents(destination) else { return nil }
        let type = st.st_mode & S_IFMT
        if renameat(fd, name, AT_FDCWD, destination) != 0 {
            // Another filesystem: copied, then removed.
            guard errno == EXDEV, copy(fd, name, type, to: destination), unlinkat(fd, name, 0) == 0 else { return nil }
        }
        if type == S_IFREG { _ = fchmodat(AT_FDCWD, destination, 0o600, AT_SYMLINK_NOFOLLOW) }
        return destination
    }

    static func makeParents(_ path: String) -> Bool {
        var dir = ""
        for component in path.split(separator: "/").dropLast() {
            dir += "/" + component
            if mkdir(dir, 0o700) != 0 && errno != EEXIST { return false }
        }
        return true
    }

    static func copy(_ fd: Int32, _ name: String, _ type: mode_t, to destination: String) -> Bool {
        if type == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: 4097)
            let n = readlinkat(fd, name, &buffer, buffer.count - 1)
            return n >= 0 && symlink(buffer, destination) == 0
        }
        guard type == S_IFREG else { return false }
        let source = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard source >= 0 else { return false }
        defer { close(source) }
        let target = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard target >= 0 else { return false }
        defer { close(target) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in try? SystemCall.retrying("read") { read(source, raw.baseAddress, raw.count) } }
            guard let n = count else { return false }
            if n == 0 { return true }
            guard buffer.withUnsafeBytes({ write(target, $0.baseAddress, n) }) == n else { return false }
        }
    }
}
