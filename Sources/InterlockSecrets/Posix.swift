#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The few file-system calls discovery needs, without Foundation.
enum Posix {
    enum FileType: Sendable, Equatable {
        case regular, directory, symlink, socket, other
    }

    static func type(of info: stat) -> FileType {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    static func lstatInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    static func statInfo(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    /// Entries of a directory (no "." or ".."), with their type when the file system tells it
    /// (`nil`: unknown, ask lstat).
    static func list(_ path: String) -> [(name: String, type: FileType?)] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var result: [(String, FileType?)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> String in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            result.append((name, fileType(dType: entry.pointee.d_type)))
        }
        return result
    }

    static func fileType(dType: UInt8) -> FileType? {
        switch Int32(dType) {
        case Int32(DT_REG): return .regular
        case Int32(DT_DIR): return .directory
        case Int32(DT_LNK): return .symlink
        case Int32(DT_SOCK): return .socket
        case Int32(DT_UNKNOWN): return nil
        default: return .other
        }
    }

    static func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec) }

    static func clock(_ id: clockid_t) -> Int64 {
        var t = timespec()
        clock_gettime(id, &t)
        return nanoseconds(t)
    }

    static func makeDirectories(_ path: String, mode: mode_t) -> Bool {
        if let info = statInfo(path) { return type(of: info) == .directory }
        let parent = Path.parent(path)
        if parent != path && !makeDirectories(parent, mode: mode) { return false }
        return mkdir(path, mode) == 0 || errno == EEXIST
    }

    static func processorCount() -> Int {
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
