/// A shell-style pattern over bytes: `*` (any run of bytes but '/'), `?` (one byte but '/'),
/// and `**` as a whole path component (any number of components, zero included). No character
/// classes or escapes: every other byte is literal.
struct Glob: Sendable, Equatable {
    enum Shape: Sendable, Equatable {
        /// No wildcard.
        case exact
        /// One `*` and no other wildcard: `prefix*suffix` (either may be empty).
        case affix(prefix: [UInt8], suffix: [UInt8])
        case general
    }

    let pattern: [UInt8]
    let caseInsensitive: Bool
    let shape: Shape

    init(_ text: String, caseInsensitive: Bool = false) {
        let bytes = Array(text.utf8)
        self.pattern = caseInsensitive ? bytes.map(Bytes.lower) : bytes
        self.caseInsensitive = caseInsensitive
        let stars = bytes.filter { $0 == 0x2A }.count
        let questions = bytes.filter { $0 == 0x3F }.count
        if stars == 0 && questions == 0 {
            shape = .exact
        } else if stars == 1 && questions == 0 && !bytes.contains(0x2F) {
            let star = bytes.firstIndex(of: 0x2A)!
            shape = .affix(prefix: Array(pattern[..<star]), suffix: Array(pattern[(star + 1)...]))
        } else {
            shape = .general
        }
    }

    var hasWildcard: Bool { shape != .exact }

    func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches($0) }
    }

    func matches(_ text: [UInt8]) -> Bool { text.withUnsafeBufferPointer { matches($0) } }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .exact:
            guard text.count == pattern.count else { return false }
            for i in 0..<text.count where fold(text[i]) != pattern[i] { return false }
            return true
        case .affix(let prefix, let suffix):
            guard text.count >= prefix.count + suffix.count else { return false }
            for i in 0..<prefix.count where fold(text[i]) != prefix[i] { return false }
            let offset = text.count - suffix.count
            for i in 0..<suffix.count where fold(text[offset + i]) != suffix[i] { return false }
            for i in prefix.count..<offset where text[i] == 0x2F { return false }
            return true
        case .general:
            return pattern.withUnsafeBufferPointer { match($0, 0, text, 0) }
        }
    }

    @inline(__always) private func fold(_ byte: UInt8) -> UInt8 { caseInsensitive ? Bytes.lower(byte) : byte }

    private func match(_ p: UnsafeBufferPointer<UInt8>, _ pi: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int) -> Bool {
        var pi = pi
        var si = si
        while pi < p.count {
            let c = p[pi]
            if c == 0x2A {
                let double = pi + 1 < p.count && p[pi + 1] == 0x2A
                let atComponentStart = pi == 0 || p[pi - 1] == 0x2F
                if double && atComponentStart && (pi + 2 == p.count || p[pi + 2] == 0x2F) {
                    // `**` component: zero or more whole components.
                    if pi + 2 == p.count { return true }  // trailing `**`: everything below
                    let rest = pi + 3  // after "**/"
                    var k = si
                    while true {
                        if match(p, rest, s, k) { return true }
                        // Advance past the next '/'.
                        while k < s.count && s[k] != 0x2F { k += 1 }
                        if k >= s.count { return false }
                        k += 1
                    }
                }
                // `*`: any run of non-'/' bytes (a lone `**` inside a component acts the same).
                var next = pi + 1
                while next < p.count && p[next] == 0x2A { next += 1 }
                if next == p.count {
                    for k in si..<s.count where s[k] == 0x2F { return false }
                    return true
                }
                var k = si
                while true {
                    if match(p, next, s, k) { return true }
                    if k >= s.count || s[k] == 0x2F { return false }
                    k += 1
                }
            }
            guard si < s.count else { return false }
            if c == 0x3F {
                if s[si] == 0x2F { return false }
            } else if fold(s[si]) != c {
                return false
            }
            pi += 1
            si += 1
        }
        return si == s.count
    }
}

enum Bytes {
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    static func hasPrefix(_ s: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        guard s.count >= prefix.count else { return false }
        for i in 0..<prefix.count where s[i] != prefix[i] { return false }
        return true
    }

    static func hasSuffix(_ s: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
        guard s.count >= suffix.count else { return false }
        let offset = s.count - suffix.count
        for i in 0..<suffix.count where s[offset + i] != suffix[i] { return false }
        return true
    }
}

enum Hash {
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

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
