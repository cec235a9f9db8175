import InterlockProfile

/// One comparison of a syscall argument, exactly as the compiled filter makes it: the argument
/// is the full 64-bit register value, compared unsigned. For `maskedEqual`, the filter tests
/// `argument & mask == value & mask` (libseccomp masks the value too).
///
/// The kernel reads `int` and `unsigned int` arguments (socket's family, ioctl's request,
/// personality) from the low 32 bits only, so a *deny* condition on such an argument should be
/// `maskedEqual(mask: 0xffffffff)`: a plain `equal` can be dodged by setting high bits.
public struct ArgumentCondition: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Operator: Sendable, Equatable, Codable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        case maskedEqual(mask: UInt64)
    }

    /// 0...5
    public var index: Int
    public var op: Operator
    public var value: UInt64

    public init(index: Int, op: Operator, value: UInt64) {
        self.index = index
        self.op = op
        self.value = value
    }

    public static func equal(_ index: Int, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .equal, value: value)
    }

    public static func notEqual(_ index: Int, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .notEqual, value: value)
    }

    /// `argument & mask == value`
    public static func masked(_ index: Int, _ mask: UInt64, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .maskedEqual(mask: mask), value: value)
    }

    /// Missing arguments count as 0.
    public func holds(for arguments: [UInt64]) -> Bool {
        let argument = index >= 0 && index < arguments.count ? arguments[index] : 0
        switch op {
        case .equal: return argument == value
        case .notEqual: return argument != value
        case .less: return argument < value
        case .lessOrEqual: return argument <= value
        case .greater: return argument > value
        case .greaterOrEqual: return argument >= value
        case .maskedEqual(let mask): return argument & mask == value & mask
        }
    }

    /// True for a comparison that holds whatever the argument (`& 0 == 0`): libseccomp drops it.
    var alwaysHolds: Bool {
        if case .maskedEqual(let mask) = op { return mask == 0 }
        return false
    }

    /// `arg1 & 0xffffffff == 0x5412`, `arg0 == 17`.
    public var description: String {
        let hex = { (n: UInt64) in "0x" + String(n, radix: 16) }
        let shown = { (n: UInt64) in n < 4096 ? String(n) : hex(n) }
        switch op {
        case .equal: return "arg\(index) == \(shown(value))"
        case .notEqual: return "arg\(index) != \(shown(value))"
        case .less: return "arg\(index) < \(shown(value))"
        case .lessOrEqual: return "arg\(index) <= \(shown(value))"
        case .greater: return "arg\(index) > \(shown(value))"
        case .greaterOrEqual: return "arg\(index) >= \(shown(value))"
        case .maskedEqual(let mask): return "arg\(index) & \(hex(mask)) == \(shown(value))"
        }
    }
}
