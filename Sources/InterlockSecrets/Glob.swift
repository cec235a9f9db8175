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
