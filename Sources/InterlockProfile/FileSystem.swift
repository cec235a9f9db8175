#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import InterlockSystem

/// The file-system calls profile loading makes: the working directory, a file's type, realpath
/// and whole-file reads.
enum FileSystem {
    static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    static func realPath(_ path: String) -> String? { FileIO.realPath(path) }

    static func readFile(_ path: String) -> Result<[UInt8], SystemCallError> {
        Result { () throws(SystemCallError) in try FileIO.readFile(path, limit: .max) }
    }
}
