#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockSeccomp
import InterlockSystem
import Synchronization
import InterlockJSON

/// /proc views of a sandboxed process, from the supervisor's side.
enum ProcessInfo {
    static func exe(_ pid: pid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func argv(_ pid: pid_t) -> [String]? {
        guard let raw = FileIO.read("/proc/\(pid)/cmdline"), !raw.isEmpty else { return nil }
        var parts = raw.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
