// IP addresses, CIDR networks, host names and `[network]` egress entries are parsed in this
// module so that the profile loader can reject a bad entry with its file and line, and the egress
// proxy (InterlockEgress) matches against exactly what was validated.

/// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is always the IPv4
/// address it maps: there is one value per destination.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    /// The 128 bits, most significant half first.
    case v6(UInt64, UInt64)

    /// The strict forms a profile must use: four decimal numbers (`192.168.1.5`, no leading
    /// zeros) or an IPv6 address as RFC 4291 writes it (`2001:db8::1`, `::ffff:10.0.0.1`), without
    /// brackets or zone.
    public init?(_ text: String) {
        if let v4 = IPAddress.parseStrictIPv4(Substring(text)) {
            self = .v4(v4)
        } else if text.contains(":"), let v6 = IPAddress.parseIPv6(Substring(text)) {
            self = IPAddress.fromIPv6(v6.0, v6.1)
        } else {
            return nil
        }
    }

    /// Every way a client can spell an address literal, normalised: the strict forms, the
    /// forms `inet_aton` accepts (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`, `10.1.258`),
    /// IPv6 in brackets (`[::1]`), and one trailing dot (`127.0.0.1.`). Nil for anything else,
    /// including IPv6 with a zone (`fe80::1%eth0`).
    public init?(normalizing text: String) {
        var body = Substring(text)
        if body.hasPrefix("["), body.hasSuffix("]") {
            body = body.dropFirst().dropLast()
            guard let v6 = IPAddress.parseIPv6(body) else { return nil }
            self = IPAddress.fromIPv6(v6.0, v6.1)
            return
        }
        if body.contains(":") {
            guard let v6 = IPAddress.parseIPv6(body) else { return nil }
            self = IPAddress.fromIPv6(v6.0, v6.1)
            return
        }
        if body.hasSuffix(".") { body = body.dropLast() }
        guard let v4 = IPAddress.parseLenientIPv4(body) else { return nil }
        self = .v4(v4)
    }

    /// From network-order bytes: 4 (IPv4) or 16 (IPv6, an IPv4-mapped one becoming IPv4).
    public init?(bytes: [UInt8]) {
        if bytes.count == 4 {
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        } else if bytes.count == 16 {
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = IPAddress.fromIPv6(high, low)
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// Network order: 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        case .v6(let high, let low):
            return (0..<8).map { UInt8(high >> (56 - 8 * UInt64($0)) & 0xFF) }
                + (0..<8).map { UInt8(low >> (56 - 8 * UInt64($0)) & 0xFF) }
        }
    }

    /// `1.2.3.4`; IPv6 in RFC 5952 form (`2001:db8::1`).
    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6(let high, let low):
            let groups = (0..<4).map { UInt16(high >> (48 - 16 * UInt64($0)) & 0xFFFF) }
                + (0..<4).map { UInt16(low >> (48 - 16 * UInt64($0)) & 0xFFFF) }
            // The longest run of at least two zero groups becomes "::" (the first one on a tie).
            var bestStart = -1, bestLength = 0, index = 0
            while index < 8 {
                if groups[index] == 0 {
                    var end = index
                    while end < 8, groups[end] == 0 { end += 1 }
                    if end - index > bestLength, end - index >= 2 { bestStart = index; bestLength = end - index }
                    index = end
                } else {
                    index += 1
                }
            }
            func hex(_ range: Range<Int>) -> String {
                groups[range].map { String($0, radix: 16) }.joined(separator: ":")
            }
            if bestStart < 0 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        }
    }

    /// As it appears before `:PORT`: IPv6 in brackets.
    public var hostPortForm: String {
        isIPv4 ? description : "[" + description + "]"
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case (.v6(let a, let b), .v6(let c, let d)): return (a, b) < (c, d)
        }
    }

    static func fromIPv6(_ high: UInt64, _ low: UInt64) -> IPAddress {
        if high == 0, low >> 32 == 0xFFFF { return .v4(UInt32(low & 0xFFFF_FFFF)) }
        return .v6(high, low)
    }

    /// `a.b.c.d`, each 0...255 in decimal without leading zeros.
    static func parseStrictIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if part.count > 1, part.hasPrefix("0") { return nil }
            guard let number = UInt32(part), number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    /// What `inet_aton` accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the
    /// last part fills the remaining bytes.
    static func parseLenientIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = parseInetNumber(part) else { return nil }
            numbers.append(number)
        }
        var value: UInt64 = 0
        for (index, number) in numbers.enumerated() {
            if index < numbers.count - 1 {
                guard number <= 0xFF else { return nil }
                value |= number << (8 * UInt64(3 - index))
            } else {
                let remainingBits = 8 * UInt64(4 - index)
                guard number < (UInt64(1) << remainingBits) else { return nil }
                value |= number
            }
        }
        return UInt32(value)
    }

    private static func parseInetNumber(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 34 else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if part.hasPrefix("0x") || part.hasPrefix("0X") {
            radix = 16
            digits = part.dropFirst(2)
            guard !digits.isEmpty else { return nil }
        } else if part.count > 1, part.hasPrefix("0") {
            radix = 8
            digits = part.dropFirst()
        }
        var value: UInt64 = 0
        for byte in digits.utf8 {
            let digit: UInt64
            switch byte {
            case 0x30...0x39: digit = UInt64(byte - 0x30)
            case 0x61...0x66: digit = UInt64(byte - 0x61 + 10)
            case 0x41...0x46: digit = UInt64(byte - 0x41 + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            value = value * radix + digit
            guard value <= 0xFFFF_FFFF else { return nil }
        }
        return value
    }

    /// RFC 4291 text: up to 8 groups of 1–4 hex digits, one `::`, optionally ending in a dotted
    /// IPv4 address (strict).
    static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
        guard !text.isEmpty, text.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        if let range = text.firstRange(of: "::") {
            sawDoubleColon = true
            let before = text[text.startIndex..<range.lowerBound]
            let after = text[range.upperBound...]
            if after.contains("::") { return nil }
            guard let h = parseGroups(before, allowIPv4Tail: false),
                  let t = parseGroups(after, allowIPv4Tail: true) else { return nil }
            head = h
            tail = t
        } else {
            guard let all = parseGroups(text, allowIPv4Tail: true) else { return nil }
            head = all
        }
        var groups: [UInt16]
        if sawDoubleColon {
            guard head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            groups = head
        }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// Colon-separated groups (possibly none); a dotted IPv4 tail counts as two groups.
    private static func parseGroups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowIPv4Tail, part.contains(".") {
                guard let v4 = parseStrictIPv4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                continue
            }
            guard (1...4).contains(part.count),
                  part.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }),
                  let group = UInt16(part, radix: 16) else { return nil }
            groups.append(group)
        }
        return groups
    }
}
