/// Lexical path arithmetic; only `absolute` looks at the file system (the working directory).
enum Paths {
    /// Lexical normalization: drops `.` and empty components, applies `..`.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(join(FileSystem.currentDirectory(), path))
    }

    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The parent directory of a normalized path: `/a/b` → `/a`, `/a` → `/`, `a` → `.`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Like `directory(of:)`, but `""` for a bare file name (so joining keeps paths short).
    static func directoryOrEmpty(of path: String) -> String {
        path.contains("/") ? directory(of: path) : ""
    }
}
