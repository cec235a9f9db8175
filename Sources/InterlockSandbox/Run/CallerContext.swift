#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// The invoking process's state that a run depends on: its environment, its directory and its
/// home. Read once, so every phase of a run sees the same values.
public struct CallerContext: Sendable {
    /// `NAME=value` entries, in the caller's order.
    public var environment: [String]
    public var currentDirectory: String
    public var home: String

    public init(environment: [String], currentDirectory: String, home: String) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.home = home
    }

    /// This process's environment, working directory and `$HOME` (else its passwd entry's).
    public static func current() -> CallerContext {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            entries.append(String(cString: entry))
            p += 1
        }
        let cwd: String
        if let p = getcwd(nil, 0) {
            cwd = String(cString: p)
            free(p)
        } else {
            cwd = "/"
        }
        let home: String
        if let h = getenv("HOME") {
            home = String(cString: h)
        } else if let pw = getpwuid(geteuid()), let dir = pw.pointee.pw_dir {
            home = String(cString: dir)
        } else {
            home = "/"
        }
        return CallerContext(environment: entries, currentDirectory: cwd, home: home)
    }

    /// The environment as a dictionary (a name's last entry wins).
    public var environmentDictionary: [String: String] {
        var d: [String: String] = [:]
        for entry in environment {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            d[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return d
    }

    /// Where the content-scan cache lives: outside any workspace, never writable inside.
    public var scanCacheDirectory: String {
        let cache = environmentDictionary["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.cache"
        return cache + "/interlock/scan"
    }

    /// `realpath(3)`, or nil when the path does not resolve.
    public static func realPath(_ path: String) -> String? { FileIO.realPath(path) }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
