#if canImport(Glibc)
import Glibc
#endif
import InterlockSandbox

/// The CLI's side of the process: the caller's state (through `CallerContext`) and messages on stderr.
enum Shell {
    static func currentDirectory() -> String { CallerContext.current().currentDirectory }
    static func realPath(_ path: String) -> String? { CallerContext.realPath(path) }
    static func isDirectory(_ path: String) -> Bool { CallerContext.isDirectory(path) }
    static func home() -> String { CallerContext.current().home }
    static func environment() -> [String] { CallerContext.current().environment }
    static func environmentDictionary() -> [String: String] { CallerContext.current().environmentDictionary }
    /// Where the content-scan cache lives: outside any workspace, never writable inside.
    static func scanCacheDirectory() -> String { CallerContext.current().scanCacheDirectory }

    static func printError(_ message: String) {
        var text = "interlock: \(message)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Prints the error and exits with its code: nothing runs after a failed launch.
    static func fail(_ error: LaunchError) -> Never {
        printError("\(error)")
        Glibc.exit(error.exitCode)
    }
}
