#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockProfile
import InterlockSystem

/// A Linux kernel version, `major.minor.patch` (missing parts are 0).
public struct KernelVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// `4.8`, `6.18.44-fc-v669`: leading numbers, anything after them ignored.
    public init?(parsing text: String) {
        var parts: [Int] = []
        var current: Int?
        for byte in text.utf8 {
            if byte >= 0x30, byte <= 0x39 {
                let (m, o1) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(byte - 0x30))
                if o1 || o2 { return nil }
                current = s
            } else if byte == UInt8(ascii: "."), let number = current, parts.count < 2 {
                parts.append(number)
                current = nil
            } else {
                break
            }
        }
        if let current { parts.append(current) }
        guard !parts.isEmpty else { return nil }
        self.init(parts[0], parts.count > 1 ? parts[1] : 0, parts.count > 2 ? parts[2] : 0)
    }

    /// From uname(2); 0.0.0 if it cannot be read.
    public static var running: KernelVersion {
        var name = utsname()
        guard uname(&name) == 0 else { return KernelVersion(0, 0) }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(parsing: release) ?? KernelVersion(0, 0)
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
