#if canImport(Glibc)
import Glibc
#endif
import CCap

/// Capability names to the mask the launcher keeps, through libcap's own name table.
enum Capabilities {
    static func mask(_ names: [String]) throws(LaunchError) -> UInt64 {
        var mask: UInt64 = 0
        for name in names {
            var value: cap_value_t = 0
            guard cap_from_name(name.lowercased(), &value) == 0, value >= 0, value < 64 else {
                throw .invalid("capabilities.keep: unknown capability '\(name)'")
            }
            mask |= 1 << UInt64(value)
        }
        return mask
    }
}
