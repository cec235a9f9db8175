#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// Which version of a profile the user last approved. A run never picks up a profile change it
/// did not see approved (a previous sandboxed run, or anything else, may have written it):
/// the fingerprint of every file the policy came from is kept outside the workspace, under
/// `$XDG_STATE_HOME/interlock/trust/`.
public enum ProfileTrust {
    public enum Status: Sendable, Equatable {
        case trusted
        /// Never seen: trusted on first use, and recorded.
        case new
        case changed
    }

    /// FNV-1a over the path and content of each file (built-ins and missing files count by name).
    public static func fingerprint(files: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for b in bytes { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        }
        for file in files {
            mix(file.utf8)
            mix([0])
            if file.hasPrefix("/"), let content = readAll(file) { mix(content) }
            mix([0])
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func status(profile: String, fingerprint: String, directory: String) -> Status {
        guard let bytes = readAll(recordPath(profile, directory)) else { return .new }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        return lines.count >= 2 && lines[0] == profile && lines[1] == fingerprint ? .trusted : .changed
    }

    public static func record(profile: String, fingerprint: String, directory: String) throws(ProfileError) {
        var dir = ""
        for component in directory.split(separator: "/") {
            dir += "/" + component
            if mkdir(dir, 0o700) != 0 && errno != EEXIST {
                throw ProfileError(file: profile, message: "cannot record trust in \(directory): \(String(cString: strerror(errno)))")
            }
        }
        let path = recordPath(profile, directory)
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ProfileError(file: profile, message: "cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let text = Array("\(profile)\n\(fingerprint)\n".utf8)
        let n = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard n == text.count, rename(tmp, path) == 0 else {
            throw ProfileError(file: profile, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func recordPath(_ profile: String, _ directory: String) -> String {
        directory + "/" + fingerprint(files: [profile + ":path"])
    }

    static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return FileIO.readToEnd(fd)
    }
}
