#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// The hosts a git repository's remotes reach over https, read from `.git/config` (for
/// `interlock init` to offer the git rule pack).
enum GitRemotes {
    /// Lowercased host names of `url = https://HOST/…` lines, in order, without repeats.
    static func httpsHosts(repository dir: String) -> [String] {
        guard let bytes = FileIO.readRegularFile(dir + "/.git/config", limit: 1 << 20) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
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
}
