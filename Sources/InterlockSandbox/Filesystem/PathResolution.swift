#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSystem

public enum PathResolution {
    /// Expands `~`, makes workspace-relative paths absolute, then resolves symlinks.
    /// Returns the absolute spelling and, if the path exists, its real path.
    static func resolve(_ raw: String, workspace: String, home: String) -> (absolute: String, real: String?) {
        let absolute: String
        if raw == "~" {
            absolute = home
        } else if raw.hasPrefix("~/") {
            absolute = home + "/" + raw.dropFirst(2)
        } else if raw.hasPrefix("/") {
            absolute = raw
        } else {
            absolute = raw == "." ? workspace : workspace + "/" + raw
        }
        return (normalize(absolute), FileIO.realPath(absolute))
    }

    static func isWorkspaceRelative(_ raw: String) -> Bool {
        !raw.hasPrefix("/") && !raw.hasPrefix("~")
    }

    static func contains(_ root: String, _ path: String) -> Bool {
        path == root || root == "/" || path.hasPrefix(root + "/")
    }

    /// Drops `.` components, duplicate and trailing slashes (profiles never contain `..`).
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
