#if canImport(Glibc)
import Glibc
#endif

/// The hosts a git repository's remotes reach over https, read from `.git/config` (for
/// `interlock init` to offer the git rule pack).
enum GitRemotes {
    /// Lowercased host names of `url = https://HOST/…` lines, in order, without repeats.
    static func httpsHosts(repository dir: String) -> [String] {
        guard let text = readSmallFile(dir + "/.git/config") else { return [] }
        var hosts: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("url") else { continue }
            let value = trimmed.drop { $0 != "=" }.dropFirst().drop { $0 == " " || $0 == "\t" }
            guard value.lowercased().hasPrefix("https://") else { continue }
            var authority = value.dropFirst("https://".count).prefix { $0 != "/" }
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            let host = authority.prefix { $0 != ":" }.lowercased()
            if !host.isEmpty, !hosts.contains(host) { hosts.append(host) }
        }
        return hosts
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
