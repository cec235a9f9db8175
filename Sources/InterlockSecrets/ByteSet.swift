

/// A set of bytes, written as characters and ranges: `A-Za-z0-9_-` (a '-' first or last is literal).
struct ByteSet: Sendable, Equatable {
    private(set) var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init?(ranges text: String) {
        let b = Array(text.utf8)
        guard !b.isEmpty else { return nil }
        var i = 0
        while i < b.count {
            if i + 2 < b.count && b[i + 1] == 0x2D {
                guard b[i] <= b[i + 2] else { return nil }
                for c in b[i]...b[i + 2] { insert(c) }
                i += 3
            } else {
                insert(b[i])
                i += 1
            }
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: bits.0 |= bit
        case 1: bits.1 |= bit
        case 2: bits.2 |= bit
        default: bits.3 |= bit
        }
    }

    @inline(__always) func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return bits.0 & bit != 0
        case 1: return bits.1 & bit != 0
        case 2: return bits.2 & bit != 0
        default: return bits.3 & bit != 0
        }
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.bits.0 == b.bits.0 && a.bits.1 == b.bits.1 && a.bits.2 == b.bits.2 && a.bits.3 == b.bits.3
    }
}
