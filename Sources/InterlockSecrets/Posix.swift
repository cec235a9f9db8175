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

enum Path {
    /// `/a/b` → `/a`, `/a` → `/`.
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Lexical: drops "." and empty components and a trailing '/'.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Whether `path` is `ancestor` or below it.
    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        if ancestor == "/" { return path.hasPrefix("/") }
        return path == ancestor || path.hasPrefix(ancestor + "/")
    }
}

/// Runs `body(worker)` on `workers` threads (the calling one included) and waits for all.
enum Parallel {
    private final class Start: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run(workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard workers > 1 else {
            body(0)
            return
        }
        var threads: [pthread_t] = []
        for worker in 1..<workers {
            let start = Unmanaged.passRetained(Start { body(worker) }).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                start.body()
                return nil
            }, start)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Start>.fromOpaque(start).release()
                body(worker)  // no thread: do its share here
            }
        }
        body(0)
        for thread in threads { pthread_join(thread, nil) }
    }
}

/// Hands out indices 0..<count in batches to concurrent workers.
final class WorkCounter: Sendable {
    private let next = Atomic<Int>(0)
    let count: Int
    let batch: Int

    init(count: Int, batch: Int) {
        self.count = count
        self.batch = batch
    }

    /// The next range to process, or nil when all are taken.
    func take() -> Range<Int>? {
        let start = next.wrappingAdd(batch, ordering: .relaxed).oldValue
        guard start < count else { return nil }
        return start..<min(start + batch, count)
    }
}
