// IP addresses, CIDR networks, host names and `[network]` egress entries: parsed here so that the
// profile loader can reject a bad entry with its file and line, and the egress proxy
// (InterlockEgress) matches against exactly what was validated.

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

/// A CIDR block: `10.0.0.0/8`, `fd00::/8`, or one address (`/32`, `/128`).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    /// `address` with the bits past `prefixLength` cleared.
    public init(address: IPAddress, prefixLength: Int) {
        let maxLength = address.isIPv4 ? 32 : 128
        self.prefixLength = max(0, min(prefixLength, maxLength))
        self.address = IPNetwork.masked(address, self.prefixLength)
    }

    /// `ADDRESS/PREFIX` in the strict address forms; the address must have no bits set past the
    /// prefix. Without `/PREFIX`, the single address.
    public init?(_ text: String) {
        switch IPNetwork.parse(text) {
        case .success(let network): self = network
        case .failure: return nil
        }
    }

    /// Like `init?(_:)`, with a problem message on failure.
    public static func parse(_ text: String) -> Result<IPNetwork, NetworkEntryProblem> {
        guard let slash = text.firstIndex(of: "/") else {
            guard let address = IPAddress(text) else { return .failure(NetworkEntryProblem("'\(text)' is not an IP address")) }
            return .success(IPNetwork(address: address, prefixLength: address.isIPv4 ? 32 : 128))
        }
        let addressText = String(text[..<slash])
        let prefixText = text[text.index(after: slash)...]
        guard let address = IPAddress(addressText) else {
            return .failure(NetworkEntryProblem("'\(addressText)' is not an IP address (write IPv4 as four decimal numbers, such as 10.0.0.0)"))
        }
        let maxLength = address.isIPv4 ? 32 : 128
        guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let prefix = Int(prefixText), prefix <= maxLength else {
            return .failure(NetworkEntryProblem("the prefix length must be a number from 0 to \(maxLength)"))
        }
        let network = IPNetwork(address: address, prefixLength: prefix)
        guard network.address == address else {
            return .failure(NetworkEntryProblem("\(addressText) has bits set past /\(prefix); the network is \(network)"))
        }
        return .success(network)
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.isIPv4 == address.isIPv4 else { return false }
        return IPNetwork.masked(candidate, prefixLength) == address
    }

    /// Whether every address of `self` is in `other`.
    public func isWithin(_ other: IPNetwork) -> Bool {
        prefixLength >= other.prefixLength && other.contains(address)
    }

    public var isSingleAddress: Bool { prefixLength == (address.isIPv4 ? 32 : 128) }

    /// `10.0.0.0/8`; a single address as `10.1.2.3/32`.
    public var description: String { "\(address)/\(prefixLength)" }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = prefix >= 64 ? ~0 : (prefix == 0 ? 0 : ~UInt64(0) << UInt64(64 - prefix))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - prefix))
            return .v6(high & highMask, low & lowMask)
        }
    }
}

/// Why a `[network]` value is invalid: one phrase, without the value itself.
public struct NetworkEntryProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Host names in profiles and requests.
public enum HostName {
    /// Lowercased, one trailing dot removed, if `text` is a DNS name of letter/digit/`-`/`_`
    /// labels (1–63 bytes each, 253 in all) whose last label is not all digits (so that
    /// `127.1` or `10.0.0` is never taken for a name). Nil otherwise.
    public static func normalize(_ text: String) -> String? {
        switch check(text) {
        case .success(let name): return name
        case .failure: return nil
        }
    }

    public static func check(_ text: String) -> Result<String, NetworkEntryProblem> {
        var name = Substring(text)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty else { return .failure(NetworkEntryProblem("the host name is empty")) }
        guard name.utf8.count <= 253 else { return .failure(NetworkEntryProblem("host names are at most 253 characters")) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return .failure(NetworkEntryProblem("empty label in host name")) }
            guard label.utf8.count <= 63 else { return .failure(NetworkEntryProblem("a host name label is at most 63 characters")) }
            for byte in label.utf8 {
                let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == 0x2D || byte == 0x5F
                guard ok else {
                    return .failure(NetworkEntryProblem(byte >= 0x80
                        ? "host names must be ASCII (write internationalised names in their xn-- form)"
                        : "host names contain only letters, digits, '-' and '_'"))
                }
            }
        }
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .failure(NetworkEntryProblem("this looks like an IP address; write IPv4 addresses as four decimal numbers, such as 10.0.0.1"))
        }
        return .success(name.lowercased())
    }
}

/// One `[network] egress` or `deny` entry.
///
/// Grammar (ports are 1–65535):
///
///     entry   = target [ ":" ports ]
///     target  = host | "*." host | ipv4 [ "/" prefix ] | "[" ipv6 [ "/" prefix ] "]"
///             | ipv6 [ "/" prefix ]            (bare IPv6: no port can follow)
///     ports   = port | port "-" port | "*"
///
/// - `api.example.com:443`: that name, that port (names compare case-insensitively; a trailing
///   dot is ignored).
/// - `*.example.com:443`: any name below `example.com` (`a.example.com`, `a.b.example.com`), not
///   `example.com` itself.
/// - `10.0.0.0/8:5432`, `192.168.1.5:22`, `[fd00::/8]:443`: IP literals (and, for a name, the
///   addresses it resolves to) in that block; an address without a prefix is a single address.
///   The address must not have bits set past the prefix (`10.1.0.0/8` is an error).
/// - Without ports: in `egress`, ports 80 and 443; in `deny`, every port.
/// - `:*`: every port; `:8000-8999`: a range.
public struct EgressEntry: Hashable, Sendable, CustomStringConvertible {
    public enum Target: Hashable, Sendable {
        /// Lowercased, without a trailing dot.
        case host(String)
        /// `*.example.com` is `.suffix("example.com")`.
        case suffix(String)
        case network(IPNetwork)
    }

    public enum Ports: Hashable, Sendable {
        /// No port written: 80 and 443 in `egress`, every port in `deny`.
        case unspecified
        case any
        case range(ClosedRange<Int>)
    }

    public var target: Target
    public var ports: Ports
    /// As written in the profile.
    public var text: String

    public var description: String { text }

    public init(target: Target, ports: Ports, text: String) {
        self.target = target
        self.ports = ports
        self.text = text
    }

    public init?(_ text: String) {
        switch EgressEntry.parse(text) {
        case .success(let entry): self = entry
        case .failure: return nil
        }
    }

    /// The entry, or why it is invalid.
    public static func parse(_ text: String) -> Result<EgressEntry, NetworkEntryProblem> {
        guard !text.isEmpty else { return .failure(NetworkEntryProblem("the entry is empty")) }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            return .failure(NetworkEntryProblem("entries contain no spaces or control characters"))
        }
        var targetText: Substring
        var portText: Substring?
        var bracketed = false
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(NetworkEntryProblem("missing ']'")) }
            targetText = text[text.index(after: text.startIndex)..<close]
            bracketed = true
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .failure(NetworkEntryProblem("expected ':PORT' after ']'")) }
                portText = rest.dropFirst()
            }
        } else {
            let colons = text.utf8.filter { $0 == 0x3A }.count
            if colons >= 2 {
                targetText = Substring(text)  // bare IPv6
            } else if colons == 1, let colon = text.firstIndex(of: ":") {
                targetText = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                targetText = Substring(text)
            }
        }

        var ports = Ports.unspecified
        if let portText {
            switch parsePorts(portText) {
            case .success(let parsed): ports = parsed
            case .failure(let problem): return .failure(problem)
            }
        }

        let target: Target
        if bracketed || targetText.contains(":") {
            guard targetText.contains(":") else {
                return .failure(NetworkEntryProblem("only IPv6 addresses are written in brackets"))
            }
            switch IPNetwork.parse(String(targetText)) {
            case .success(let network):
                guard !network.address.isIPv4 || targetText.hasPrefix("::ffff:") else {
                    return .failure(NetworkEntryProblem("expected an IPv6 address"))
                }
                target = .network(network)
            case .failure(let problem): return .failure(problem)
            }
        } else if targetText.contains("/") || IPAddress.parseStrictIPv4(targetText) != nil {
            switch IPNetwork.parse(String(targetText)) {
            case .success(let network): target = .network(network)
            case .failure(let problem): return .failure(problem)
            }
        } else if targetText.hasPrefix("*.") {
            switch HostName.check(String(targetText.dropFirst(2))) {
            case .success(let name): target = .suffix(name)
            case .failure(let problem): return .failure(problem)
            }
        } else if targetText.contains("*") {
            return .failure(NetworkEntryProblem("'*' is only allowed as a leading '*.' (such as *.example.com)"))
        } else {
            switch HostName.check(String(targetText)) {
            case .success(let name): target = .host(name)
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(EgressEntry(target: target, ports: ports, text: text))
    }

    static func parsePorts(_ text: Substring) -> Result<Ports, NetworkEntryProblem> {
        if text == "*" { return .success(.any) }
        func port(_ part: Substring) -> Int? {
            guard !part.isEmpty, part.count <= 5, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(part), (1...65535).contains(value) else { return nil }
            return value
        }
        let problem = NetworkEntryProblem("the port must be a number from 1 to 65535, a range such as 8000-8999, or *")
        if let dash = text.firstIndex(of: "-") {
            guard let low = port(text[..<dash]), let high = port(text[text.index(after: dash)...]) else { return .failure(problem) }
            guard low <= high else { return .failure(NetworkEntryProblem("the port range \(low)-\(high) is empty")) }
            return .success(.range(low...high))
        }
        guard let value = port(text) else { return .failure(problem) }
        return .success(.range(value...value))
    }
}
