#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds the `[[content]]` rules in a byte buffer in one pass, without a regex engine.
///
/// Every token prefix, `all-of` literal and the PEM header is a candidate keyed by its first
/// two bytes: a 256-entry table of interesting first bytes and a 64 Ki-bit table of first-two-
/// byte pairs reject almost every position with one or two loads, so only positions that start
/// a known prefix are looked at closely. Assignments are checked at '=' and ':' by reading the
/// name backwards, after a one-byte test of the name's last letter. The tables are flat,
/// immutable memory shared by every thread.
struct ContentMatcher: Sendable {
    /// Results are bit masks; bits 62 and 63 are flags of the scan cache.
    static let maximumRules = 60

    /// What a token's body must contain besides its charset.
    enum Requirement: UInt8, Sendable {
        case none
        case digit
        /// A digit, a lowercase and an uppercase letter.
        case mixed
    }

    enum Rule: Sendable {
        case token(prefixes: [[UInt8]], charset: ByteSet, minimum: Int, maximum: Int, minimumEntropy: Double?,
                   requirement: Requirement)
        case privateKey
        case allOf([[UInt8]])
        /// Normalized names: lowercase, '-' and '.' as '_'.
        case assignment([[UInt8]])
    }

    let rules: [Rule]
    let settings: ScanSettings
    private let tables: Tables
    /// Bits of every rule.
    let allRules: UInt64
    /// Bits of `token` and `private-key` rules (what an environment variable's value is checked against).
    let tokenShapedRules: UInt64

    init(rules: [Rule], settings: ScanSettings) {
        self.rules = rules
        self.settings = settings
        self.tables = Tables(rules: rules, settings: settings)
        self.allRules = rules.isEmpty ? 0 : (1 << UInt64(rules.count)) - 1
        var tokenShaped: UInt64 = 0
        for (index, rule) in rules.enumerated() {
            switch rule {
            case .token, .privateKey: tokenShaped |= 1 << UInt64(index)
            default: break
            }
        }
        self.tokenShapedRules = tokenShaped
    }

    /// The rules (bits) whose pattern occurs in `text`, among `enabled`.
    func scan(_ text: UnsafeBufferPointer<UInt8>, enabled: UInt64) -> UInt64 {
        guard let base = text.baseAddress, text.count > 0 else { return 0 }
        return tables.scan(base, text.count, enabled: enabled)
    }

    func scan(_ bytes: [UInt8], enabled: UInt64) -> UInt64 {
        bytes.withUnsafeBufferPointer { scan($0, enabled: enabled) }
    }

    // MARK: Helpers shared with the rules reader

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D || c == 0x2E
    }

    /// Lowercase, with '-' and '.' as '_'.
    @inline(__always) static func normalize(_ c: UInt8) -> UInt8 {
        if c == 0x2D || c == 0x2E { return 0x5F }
        return (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }

    static func normalizedName(_ bytes: [UInt8]) -> [UInt8] { bytes.map(normalize) }

    /// Shannon entropy of the bytes, in bits per byte.
    static func entropy(_ p: UnsafePointer<UInt8>, _ range: Range<Int>) -> Double {
        guard !range.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for i in range { counts[Int(p[i])] += 1 }
            let total = Double(range.count)
            var h = 0.0
            for c in counts where c > 0 {
                let q = Double(c) / total
                h -= q * log2(q)
            }
            return h
        }
    }

    static func entropy(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double {
        guard let base = p.baseAddress else { return 0 }
        return entropy(base, range)
    }

    static func satisfies(_ requirement: Requirement, _ p: UnsafePointer<UInt8>, _ range: Range<Int>) -> Bool {
        if requirement == .none { return true }
        var digit = false, lower = false, upper = false
        for i in range {
            switch p[i] {
            case 0x30...0x39: digit = true
            case 0x61...0x7A: lower = true
            case 0x41...0x5A: upper = true
            default: break
            }
        }
        return requirement == .digit ? digit : (digit && lower && upper)
    }
}

/// The matcher's flat tables (allocated once, never mutated after `init`).
private final class Tables: @unchecked Sendable {
    struct Candidate {
        enum Kind: UInt8 { case token, literal, privateKey }
        var offset: Int  // into `pool`
        var length: Int
        var kind: Kind
        /// Rule bit (token, private key) or literal bit (literal).
        var bit: UInt64
        var charset = ByteSet()
        var minimum = 0
        var maximum = 0
        var minimumEntropy = -1.0
        var requirement = ContentMatcher.Requirement.none
    }

    struct Name {
        var offset: Int
        var length: Int
        var bit: UInt64
    }

    /// Per byte: 1 = some candidate starts with it; 2 = assignment operator ('=' or ':').
    let first: UnsafeMutablePointer<UInt8>
    /// Bit (b0 << 8 | b1) set when some candidate starts with b0, b1.
    let pairs: UnsafeMutablePointer<UInt64>
    /// Candidates sorted by first byte; `start[b]..<start[b + 1]` are those starting with b.
    let start: UnsafeMutablePointer<Int>
    let candidates: UnsafeMutablePointer<Candidate>
    let candidateCount: Int
    let pool: UnsafeMutablePointer<UInt8>
    let poolCount: Int
    let names: UnsafeMutablePointer<Name>
    let nameCount: Int
    /// Normalized last bytes of assignment names.
    let lastBytes: ByteSet
    /// Bit (x << 8 | y) set when some assignment name ends in the normalized bytes x, y.
    let nameEnds: UnsafeMutablePointer<UInt64>
    let assignmentBits: UInt64
    let allOf: [(bit: UInt64, literals: UInt64)]
    let settings: ScanSettings

    init(rules: [ContentMatcher.Rule], settings: ScanSettings) {
        self.settings = settings
        var list: [(bytes: [UInt8], candidate: Candidate)] = []
        var nameList: [(bytes: [UInt8], bit: UInt64)] = []
        var allOf: [(UInt64, UInt64)] = []
        var literalCount = 0
        var assignmentBits: UInt64 = 0
        var last = ByteSet()
        for (index, rule) in rules.enumerated() {
            let bit: UInt64 = 1 << UInt64(index)
            switch rule {
            case .token(let prefixes, let charset, let minimum, let maximum, let entropy, let requirement):
                for prefix in prefixes where prefix.count >= 2 {
                    list.append((prefix, Candidate(offset: 0, length: prefix.count, kind: .token, bit: bit,
                                                   charset: charset, minimum: minimum, maximum: maximum,
                                                   minimumEntropy: entropy ?? -1, requirement: requirement)))
                }
            case .privateKey:
                let header = Array("-----BEGIN ".utf8)
                list.append((header, Candidate(offset: 0, length: header.count, kind: .privateKey, bit: bit)))
            case .allOf(let literals):
                var mask: UInt64 = 0
                for literal in literals where literal.count >= 2 && literalCount < 64 {
                    let literalBit: UInt64 = 1 << UInt64(literalCount)
                    mask |= literalBit
                    literalCount += 1
                    list.append((literal, Candidate(offset: 0, length: literal.count, kind: .literal, bit: literalBit)))
                }
                allOf.append((bit, mask))
            case .assignment(let names):
                assignmentBits |= bit
                for name in names where !name.isEmpty {
                    nameList.append((name, bit))
                    last.insert(name.last!)
                }
            }
        }
        // '_' in a name stands for '-' and '.' too (they normalize to '_').
        if last.contains(0x5F) { last.insert(0x2D); last.insert(0x2E) }
        list.sort { $0.bytes[0] < $1.bytes[0] }

        first = .allocate(capacity: 256)
        first.initialize(repeating: 0, count: 256)
        pairs = .allocate(capacity: 1024)
        pairs.initialize(repeating: 0, count: 1024)
        start = .allocate(capacity: 257)
        start.initialize(repeating: 0, count: 257)
        candidateCount = list.count
        candidates = .allocate(capacity: max(list.count, 1))
        poolCount = list.reduce(0) { $0 + $1.bytes.count } + nameList.reduce(0) { $0 + $1.bytes.count }
        pool = .allocate(capacity: max(poolCount, 1))
        nameCount = nameList.count
        names = .allocate(capacity: max(nameList.count, 1))

        var offset = 0
        for (i, entry) in list.enumerated() {
            var candidate = entry.candidate
            candidate.offset = offset
            for (k, b) in entry.bytes.enumerated() { pool[offset + k] = b }
            offset += entry.bytes.count
            (candidates + i).initialize(to: candidate)
            let b0 = Int(entry.bytes[0]), b1 = Int(entry.bytes[1])
            first[b0] |= 1
            let pair = b0 << 8 | b1
            pairs[pair >> 6] |= 1 << UInt64(pair & 63)
        }
        // start[b] = index of the first candidate whose first byte is >= b.
        var cursor = 0
        for b in 0...256 {
            while cursor < list.count && Int(list[cursor].bytes[0]) < b { cursor += 1 }
            start[b] = cursor
        }
        for (i, entry) in nameList.enumerated() {
            for (k, b) in entry.bytes.enumerated() { pool[offset + k] = b }
            (names + i).initialize(to: Name(offset: offset, length: entry.bytes.count, bit: entry.bit))
            offset += entry.bytes.count
        }
        if assignmentBits != 0 {
            // '=' and ':' followed by anything: the pair table is the only test per byte.
            for op in [0x3D, 0x3A] {
                first[op] |= 2
                for b1 in 0..<256 {
                    let pair = op << 8 | b1
                    pairs[pair >> 6] |= 1 << UInt64(pair & 63)
                }
            }
        }
        // Pairs of normalized last two bytes of the assignment names ("en" of token, "rd" of password).
        nameEnds = .allocate(capacity: 1024)
        nameEnds.initialize(repeating: 0, count: 1024)
        for entry in nameList {
            let b = entry.bytes
            // A one-byte name matches any byte before it.
            let penultimates: [UInt8] = b.count >= 2 ? [b[b.count - 2]] : Array(0...255)
            for x in penultimates {
                for y in [b[b.count - 1]] {
                    let pair = Int(x) << 8 | Int(y)
                    nameEnds[pair >> 6] |= 1 << UInt64(pair & 63)
                }
            }
        }
        self.lastBytes = last
        self.assignmentBits = assignmentBits
        self.allOf = allOf
    }

    deinit {
        first.deallocate()
        pairs.deallocate()
        start.deallocate()
        candidates.deinitialize(count: candidateCount)
        candidates.deallocate()
        pool.deallocate()
        names.deinitialize(count: nameCount)
        names.deallocate()
        nameEnds.deallocate()
    }

    func scan(_ p: UnsafePointer<UInt8>, _ n: Int, enabled: UInt64) -> UInt64 {
        var found: UInt64 = 0
        var literals: UInt64 = 0
        let assignments = assignmentBits & enabled
        // Nothing of interest is shorter than two bytes, so the last byte only ends things.
        let limit = n - 1
        var i = 0
        while i < limit {
            let pair = Int(p[i]) << 8 | Int(p[i + 1])
            if pairs[pair >> 6] & (1 << UInt64(pair & 63)) != 0 {
                let b0 = p[i]
                if first[Int(b0)] & 2 != 0 {
                    if found & assignments != assignments {
                        found |= assignment(p, n, at: i, enabled: assignments & ~found)
                    }
                } else {
                    var c = start[Int(b0)]
                    let end = start[Int(b0) + 1]
                    while c < end {
                        check(candidates + c, p, n, at: i, enabled: enabled, found: &found, literals: &literals)
                        c += 1
                    }
                }
            }
            i += 1
        }
        for entry in allOf where enabled & entry.bit != 0 && literals & entry.literals == entry.literals {
            found |= entry.bit
        }
        return found & enabled
    }

    @inline(__always)
    private func check(_ candidate: UnsafeMutablePointer<Candidate>, _ p: UnsafePointer<UInt8>, _ n: Int, at i: Int,
                       enabled: UInt64, found: inout UInt64, literals: inout UInt64) {
        let length = candidate.pointee.length
        guard i + length <= n else { return }
        let bit = candidate.pointee.bit
        let kind = candidate.pointee.kind
        if kind == .literal {
            if literals & bit != 0 { return }
        } else if enabled & bit == 0 || found & bit != 0 {
            return
        }
        let prefix = pool + candidate.pointee.offset
        var k = 1
        while k < length {
            if p[i + k] != prefix[k] { return }
            k += 1
        }
        switch kind {
        case .literal:
            literals |= bit
        case .privateKey:
            if privateKeyHeader(p, n, at: i + length) { found |= bit }
        case .token:
            let charset = candidate.pointee.charset
            if i > 0 && charset.contains(p[i - 1]) { return }
            let bodyStart = i + length
            let maximum = candidate.pointee.maximum
            var end = bodyStart
            while end < n && end - bodyStart <= maximum && charset.contains(p[end]) { end += 1 }
            let bodyLength = end - bodyStart
            guard bodyLength >= candidate.pointee.minimum, bodyLength <= maximum else { return }
            let entropy = candidate.pointee.minimumEntropy
            if entropy >= 0 && ContentMatcher.entropy(p, bodyStart..<end) < entropy { return }
            if !ContentMatcher.satisfies(candidate.pointee.requirement, p, bodyStart..<end) { return }
            found |= bit
        }
    }

    /// After "-----BEGIN ": a label of capitals, digits and spaces ending in "PRIVATE KEY" or
    /// "PRIVATE KEY BLOCK", then "-----", and within the next 512 bytes a run of at least 24
    /// base64 bytes holding a digit, '+' or '/': the key itself (possibly after Proc-Type or
    /// armor header lines, or a JSON "\n"). A header alone is code that parses keys, not a key.
    private func privateKeyHeader(_ p: UnsafePointer<UInt8>, _ n: Int, at start: Int) -> Bool {
        var end = start
        while end < n && end - start < 64 {
            let c = p[end]
            guard (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x20 else { break }
            end += 1
        }
        guard end + 5 <= n else { return false }
        for k in 0..<5 where p[end + k] != 0x2D { return false }
        func endsWith(_ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard end - start >= count else { return false }
            let s = suffix.utf8Start
            for k in 0..<count where p[end - count + k] != s[k] { return false }
            return true
        }
        guard endsWith("PRIVATE KEY") || endsWith("PRIVATE KEY BLOCK") else { return false }
        var run = 0
        var marked = false
        var k = end + 5
        let limit = min(n, k + 512)
        while k < limit {
            let c = p[k]
            let letter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            let mark = (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
            if letter || mark || c == 0x3D {
                run += 1
                marked = marked || mark
                if run >= 24 && marked { return true }
            } else {
                run = 0
                marked = false
            }
            k += 1
        }
        return false
    }

    /// `NAME = value`, `NAME: value`, `NAME := value`, `"NAME": "value"` at the '=' or ':' at `i`:
    /// the bits of the assignment rules (among `enabled`) one of whose names NAME is or ends with.
    @inline(never)
    private func assignment(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int, enabled: UInt64) -> UInt64 {
        let op = p[i]
        var j = i - 1
        if op == 0x3D {  // '='
            if i + 1 < n && (p[i + 1] == 0x3D || p[i + 1] == 0x7E || p[i + 1] == 0x3E) { return 0 }  // == =~ =>
            if j >= 0 {
                switch p[j] {
                case 0x3A, 0x3F, 0x2B: j -= 1  // := ?= +=
                case 0x21, 0x3C, 0x3E, 0x3D, 0x7E, 0x2D, 0x2A, 0x2F, 0x25, 0x26, 0x7C, 0x5E: return 0
                default: break
                }
            }
        } else {  // ':'
            if i + 1 < n && (p[i + 1] == 0x3A || p[i + 1] == 0x3D) { return 0 }
            if j >= 0 && p[j] == 0x3A { return 0 }
        }
        var spaces = 0
        while j >= 0 && (p[j] == 0x20 || p[j] == 0x09) && spaces < 8 { j -= 1; spaces += 1 }
        guard j >= 0 else { return 0 }
        if p[j] == 0x22 || p[j] == 0x27 { j -= 1 }
        guard j >= 0, lastBytes.contains(ContentMatcher.normalize(p[j])) else { return 0 }
        if j >= 1 {
            let pair = Int(ContentMatcher.normalize(p[j - 1])) << 8 | Int(ContentMatcher.normalize(p[j]))
            guard nameEnds[pair >> 6] & (1 << UInt64(pair & 63)) != 0 else { return 0 }
        }
        let nameEnd = j + 1
        var k = j
        while k >= 0 && ContentMatcher.isNameByte(p[k]) && nameEnd - k <= 128 { k -= 1 }
        let length = nameEnd - (k + 1)
        guard length > 0 else { return 0 }
        var bits: UInt64 = 0
        for index in 0..<nameCount {
            let name = names[index]
            guard enabled & name.bit != 0, bits & name.bit == 0, length >= name.length else { continue }
            let offset = nameEnd - name.length
            var same = true
            for m in 0..<name.length where ContentMatcher.normalize(p[offset + m]) != pool[name.offset + m] {
                same = false
                break
            }
            if same && (length == name.length || ContentMatcher.normalize(p[offset - 1]) == 0x5F) { bits |= name.bit }
        }
        guard bits != 0 else { return 0 }
        // The value.
        var v = i + 1
        spaces = 0
        while v < n && (p[v] == 0x20 || p[v] == 0x09) && spaces < 8 { v += 1; spaces += 1 }
        if v < n && (p[v] == 0x22 || p[v] == 0x27 || p[v] == 0x60) { v += 1 }
        let valueStart = v
        while v < n && v - valueStart < 1024 {
            let c = p[v]
            // Whitespace, quotes, ',' ';' and '&' (the next query parameter) end a value.
            if c <= 0x20 || c >= 0x7F || c == 0x22 || c == 0x27 || c == 0x60 || c == 0x2C || c == 0x3B || c == 0x26 {
                break
            }
            v += 1
        }
        return looksRandom(p, valueStart..<v) ? bits : 0
    }

    /// At least `assignmentMinLength` bytes, a digit, none of `$ { } ( ) < > [ ]`, and enough entropy.
    private func looksRandom(_ p: UnsafePointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.count >= settings.assignmentMinLength else { return false }
        var digit = false
        var hexOnly = true
        for i in range {
            switch p[i] {
            case 0x24, 0x7B, 0x7D, 0x28, 0x29, 0x3C, 0x3E, 0x5B, 0x5D: return false
            case 0x30...0x39: digit = true
            case 0x61...0x66, 0x41...0x46: break
            default: hexOnly = false
            }
        }
        guard digit, !Self.isQualifiedName(p, range) else { return false }
        let threshold = hexOnly ? settings.assignmentHexEntropy : settings.assignmentEntropy
        return ContentMatcher.entropy(p, range) >= threshold
    }

    /// `module.Type`, `ed25519.Ed25519PrivateKey`, `settings.SECRET_KEY_2`: two or more dotted
    /// identifiers of at most 24 bytes, i.e. code (a JWT's segments are longer).
    static func isQualifiedName(_ p: UnsafePointer<UInt8>, _ range: Range<Int>) -> Bool {
        var segments = 1
        var length = 0
        for i in range {
            let c = p[i]
            if c == 0x2E {
                guard length > 0 else { return false }
                segments += 1
                length = 0
                continue
            }
            let letter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            let digit = c >= 0x30 && c <= 0x39
            guard letter || (digit && length > 0) else { return false }
            length += 1
            if length > 24 { return false }
        }
        return segments >= 2 && length > 0
    }
}
