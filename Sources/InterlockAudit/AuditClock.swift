#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockSystem
import Synchronization

public enum AuditClock {
    /// UTC, ISO 8601 with milliseconds.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ w: Int = 2) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }

    /// A file-name friendly timestamp that sorts in start order: 2026-11-21T23-40-12.345.
    public static func fileStamp() -> String {
        String(now().prefix(23)).replacingColons()
    }
}
