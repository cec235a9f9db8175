import InterlockProfile

/// The compiled `[network]` policy of one run: which host:port the sandbox may reach.
///
/// Entries follow `EgressEntry` (InterlockProfile):
///
/// | entry | matches |
/// | --- | --- |
/// | `api.example.com:443` | that name (case-insensitive, trailing dot ignored), that port |
/// | `*.example.com:443` | names strictly below example.com |
/// | `api.example.com` | ports 80 and 443 (in `deny`: every port) |
/// | `api.example.com:*`, `:8000-8999` | every port, a port range |
/// | `10.0.0.0/8:5432`, `192.168.1.5:22`, `[fd00::/8]:443` | IP literals in the block, and the addresses a name resolves to |
///
/// Decisions, in order:
/// 1. The host the client asked for is normalised: every IP literal spelling (`2130706433`,
///    `0x7f000001`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`) becomes one address; names are
///    lowercased. Anything else is refused.
/// 2. `deny` entries win over `egress` entries. A name is matched against name entries only, an
///    IP literal against IP/CIDR entries only (so a raw IP needs an IP entry).
/// 3. After resolution (`network.hosts` first, never DNS for a name in it), every address is
///    checked: a `deny` IP entry removes it; an address in a special block (loopback 127/8 and
///    ::1, private 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, link-local 169.254/16 and
///    fe80::/10, unspecified, multicast, broadcast, reserved) is refused unless the name maps to
///    exactly that address in `network.hosts`, or an `egress` IP entry matching the port covers
///    the address *and lies within the special block* (`10.0.0.0/8:5432` names 10.1.2.3;
///    `0.0.0.0/0:443` names no private address). What is left may be connected to, in order.
public struct EgressRules: Sendable {
    public let environment: String?
    public let profileFile: String?
    public let allow: [EgressEntry]
    public let deny: [EgressEntry]
    /// `network.hosts`, plus whatever `addHosts` added.
    public private(set) var hosts: [String: IPAddress]
    /// The name entries of each list by name and suffix: a decision costs a few lookups whatever
    /// the number of entries (a profile may list thousands).
    private let allowNames: NameIndex
    private let denyNames: NameIndex

    public init(policy: NetworkPolicy, environment: String?, profileFile: String?) throws(EgressError) {
        try self.init(egress: policy.egress, deny: policy.deny, hosts: policy.hosts,
                      environment: environment, profileFile: profileFile)
    }

    public init(egress: [String], deny: [String] = [], hosts: [String: String] = [:],
                environment: String? = nil, profileFile: String? = nil) throws(EgressError) {
        func parse(_ texts: [String], _ list: String) throws(EgressError) -> [EgressEntry] {
            var entries: [EgressEntry] = []
            for text in texts {
                switch EgressEntry.parse(text) {
                case .success(let entry): entries.append(entry)
                case .failure(let problem): throw EgressError("network.\(list): invalid entry '\(text)': \(problem.message)")
                }
            }
            return entries
        }
        self.allow = try parse(egress, "egress")
        self.deny = try parse(deny, "deny")
        self.allowNames = NameIndex(allow)
        self.denyNames = NameIndex(self.deny)
        self.environment = environment
        self.profileFile = profileFile
        self.hosts = [:]
        try addHosts(hosts)
    }

    /// More `name = address` mappings (they replace the same names).
    public mutating func addHosts(_ more: [String: String]) throws(EgressError) {
        for (name, text) in more {
            guard let normalized = HostName.normalize(name) else { throw EgressError("network.hosts: invalid host name '\(name)'") }
            guard let address = IPAddress(text) else { throw EgressError("network.hosts: invalid address '\(text)' for '\(name)'") }
            hosts[normalized] = address
        }
    }

    /// What the client asked for, normalised.
    public enum Target: Sendable, Equatable {
        case name(String)
        case address(IPAddress)

        public init?(_ host: String) {
            if let address = IPAddress(normalizing: host) {
                self = .address(address)
            } else if let name = HostName.normalize(host) {
                self = .name(name)
            } else {
                return nil
            }
        }

        /// `api.example.com`, `10.0.0.1`, `::1`.
        public var text: String {
            switch self {
            case .name(let name): return name
            case .address(let address): return address.description
            }
        }
    }

    /// Whether the client may ask for `host:port` at all (before resolution). For an IP literal
    /// this is the whole decision; for a name, `check` must approve the resolved addresses.
    public func decide(host: String, port: Int) -> EgressDecision {
        guard (1...65535).contains(port) else {
            return EgressDecision(allowed: false, rule: "invalid request", reason: "port \(port) is not a TCP port")
        }
        guard let target = Target(host) else {
            return EgressDecision(allowed: false, rule: "invalid request",
                                  reason: "'\(EgressRules.printable(host))' is neither a host name nor an IP address")
        }
        switch target {
        case .name(let name):
            if let index = denyNames.candidates(name).first(where: { EgressRules.matchesPort(deny[$0].ports, port, isDeny: true) }) {
                return EgressDecision(allowed: false, rule: "deny \"\(deny[index].text)\"",
                                      reason: "\(name):\(port) is denied by network.deny")
            }
            if let index = allowNames.candidates(name).first(where: { EgressRules.matchesPort(allow[$0].ports, port, isDeny: false) }) {
                return EgressDecision(allowed: true, rule: "egress \"\(allow[index].text)\"")
            }
            return EgressDecision(allowed: false, rule: "no matching egress entry",
                                  reason: "\(name):\(port) matches no network.egress entry")
        case .address(let address):
            if let entry = deny.first(where: { EgressRules.matches($0, address: address, port: port, isDeny: true) }) {
                return EgressDecision(allowed: false, rule: "deny \"\(entry.text)\"",
                                      reason: "\(address.hostPortForm):\(port) is denied by network.deny")
            }
            let matching = allow.filter { EgressRules.matches($0, address: address, port: port, isDeny: false) }
            guard let first = matching.first else {
                return EgressDecision(allowed: false, rule: "no matching egress entry",
                                      reason: "raw IP addresses are allowed only by an IP or CIDR entry in network.egress, and none covers \(address.hostPortForm):\(port)")
            }
            if let special = EgressRules.classify(address) {
                guard let naming = matching.first(where: { EgressRules.names($0, special) }) else {
                    return EgressDecision(allowed: false, rule: "built-in: \(special.name) addresses need an explicit entry",
                                          reason: EgressRules.specialReason(address, special, port: port, host: nil))
                }
                return EgressDecision(allowed: true, rule: "egress \"\(naming.text)\"", addresses: [address])
            }
            return EgressDecision(allowed: true, rule: "egress \"\(first.text)\"", addresses: [address])
        }
    }

    /// Which of the addresses `host` resolved to may be connected to. Call after an allowed
    /// `decide(host:port:)`; the decision's `addresses` keep the resolver's order.
    public func check(resolved: [IPAddress], host: String, port: Int) -> EgressDecision {
        let first = decide(host: host, port: port)
        guard first.allowed, let target = Target(host) else { return first }
        if case .address(let literal) = target {
            // A literal resolves to itself; anything else would be a resolver bug.
            return resolved.allSatisfy({ $0 == literal }) ? first
                : EgressDecision(allowed: false, rule: first.rule, reason: "an IP literal resolved to another address")
        }
        guard case .name(let name) = target else { return first }
        var accepted: [IPAddress] = []
        var refusal: EgressDecision?
        let mapped = hosts[name]
        for address in resolved {
            if let entry = deny.first(where: { EgressRules.matches($0, address: address, port: port, isDeny: true) }) {
                refusal = refusal ?? EgressDecision(allowed: false, rule: "deny \"\(entry.text)\"",
                                                    reason: "\(name) resolves to \(address), which network.deny refuses")
                continue
            }
            if let special = EgressRules.classify(address) {
                if mapped == address {
                    accepted.append(address)
                    continue
                }
                let naming = allow.first {
                    EgressRules.matches($0, address: address, port: port, isDeny: false) && EgressRules.names($0, special)
                }
                if naming != nil {
                    accepted.append(address)
                } else {
                    refusal = refusal ?? EgressDecision(
                        allowed: false, rule: "built-in: \(special.name) addresses need an explicit entry",
                        reason: EgressRules.specialReason(address, special, port: port, host: name))
                }
                continue
            }
            accepted.append(address)
        }
        if accepted.isEmpty {
            return refusal ?? EgressDecision(allowed: false, rule: first.rule, reason: "\(name) did not resolve to any address")
        }
        var rule = first.rule
        if let mapped, accepted.first == mapped { rule += ", network.hosts \"\(name)\" = \"\(mapped)\"" }
        return EgressDecision(allowed: true, rule: rule, addresses: accepted)
    }

    /// Whether the sandbox's DNS may answer for `name`: it is in `network.hosts`, or some
    /// `egress` name entry matches it on some port and no `deny` entry covers every port of it.
    public func allowsName(_ host: String) -> Bool {
        guard let name = HostName.normalize(host) else { return false }
        if hosts[name] != nil { return true }
        let deniedEverywhere = denyNames.candidates(name).contains { EgressRules.coversAllPorts(deny[$0].ports, isDeny: true) }
        if deniedEverywhere { return false }
        return !allowNames.candidates(name).isEmpty
    }

    /// `egress to HOST:PORT is not allowed in environment 'ENV' (profile FILE)`, with `'(none)'`
    /// when no environment was chosen and `(profile (none))` when the file is unknown.
    public func refusalMessage(host: String, port: Int) -> String {
        let shownHost = Target(host).map { target -> String in
            if case .address(let address) = target { return address.hostPortForm }
            return target.text
        } ?? EgressRules.printable(host)
        return "egress to \(shownHost):\(port) is not allowed in environment '\(environment ?? "(none)")' (profile \(profileFile ?? "(none)"))"
    }

    // MARK: Matching

    /// One list's name entries by the exact name or the suffix they match.
    struct NameIndex: Sendable {
        private var exact: [String: [Int]] = [:]
        private var suffixes: [String: [Int]] = [:]

        init(_ entries: [EgressEntry]) {
            for (index, entry) in entries.enumerated() {
                switch entry.target {
                case .host(let host): exact[host, default: []].append(index)
                case .suffix(let suffix): suffixes[suffix, default: []].append(index)
                case .network: break
                }
            }
        }

        /// Positions (in list order) of the entries whose name part matches `name`, whatever the
        /// port: the name itself, and each suffix after one of its dots (`*.example.com` matches
        /// names strictly below example.com).
        func candidates(_ name: String) -> [Int] {
            var found = exact[name] ?? []
            var rest = Substring(name)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                if let hits = suffixes[String(rest)] { found += hits }
            }
            return found.count > 1 ? found.sorted() : found
        }
    }

    /// The definition `NameIndex` implements, entry by entry (kept for the tests that compare).
    static func matchesName(_ target: EgressEntry.Target, _ name: String) -> Bool {
        switch target {
        case .host(let host): return host == name
        case .suffix(let suffix): return name.hasSuffix("." + suffix)
        case .network: return false
        }
    }

    static func matchesPort(_ ports: EgressEntry.Ports, _ port: Int, isDeny: Bool) -> Bool {
        switch ports {
        case .unspecified: return isDeny || port == 80 || port == 443
        case .any: return true
        case .range(let range): return range.contains(port)
        }
    }

    static func coversAllPorts(_ ports: EgressEntry.Ports, isDeny: Bool) -> Bool {
        switch ports {
        case .unspecified: return isDeny
        case .any: return true
        case .range(let range): return range == 1...65535
        }
    }

    static func matches(_ entry: EgressEntry, name: String, port: Int, isDeny: Bool) -> Bool {
        matchesName(entry.target, name) && matchesPort(entry.ports, port, isDeny: isDeny)
    }

    static func matches(_ entry: EgressEntry, address: IPAddress, port: Int, isDeny: Bool) -> Bool {
        guard case .network(let network) = entry.target else { return false }
        return network.contains(address) && matchesPort(entry.ports, port, isDeny: isDeny)
    }

    /// Whether `entry` (already known to cover the address) names the special block explicitly.
    static func names(_ entry: EgressEntry, _ special: AddressClass) -> Bool {
        guard case .network(let network) = entry.target else { return false }
        return network.isWithin(special.block)
    }

    static func specialReason(_ address: IPAddress, _ special: AddressClass, port: Int, host: String?) -> String {
        let subject = host.map { "\($0) resolves to \(address)" } ?? "\(address)"
        let example = "\(address.hostPortForm):\(port)"
        return "\(subject), a \(special.name) address (\(special.block)); only a profile entry within that block, such as \"\(example)\""
            + (host.map { " or network.hosts \"\($0)\" = \"\(address)\"" } ?? "") + ", allows it"
    }

    /// Printable ASCII only, at most 255 characters: safe to put in a message.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(255) {
            out += (scalar.value >= 0x20 && scalar.value < 0x7F) ? String(scalar) : "?"
        }
        return out
    }

    // MARK: Special-purpose addresses

    private static let v4Blocks: [(String, String)] = [
        ("255.255.255.255/32", "broadcast"),
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "private"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    ]

    private static let v6Blocks: [(String, String)] = [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved"),  // IPv4-compatible (deprecated)
        ("100::/64", "reserved"),  // discard
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private"),  // site-local (deprecated)
        ("ff00::/8", "multicast"),
    ]

    private static let compiledV4: [AddressClass] = v4Blocks.map { AddressClass(name: $0.1, block: IPNetwork($0.0)!) }
    private static let compiledV6: [AddressClass] = v6Blocks.map { AddressClass(name: $0.1, block: IPNetwork($0.0)!) }

    /// The special block `address` is in, or nil for an ordinary (global) address. IPv6 forms that
    /// embed an IPv4 address (NAT64 64:ff9b::/96, 6to4 2002::/16) take the class of the embedded
    /// address, with the block narrowed accordingly.
    public static func classify(_ address: IPAddress) -> AddressClass? {
        switch address {
        case .v4:
            return compiledV4.first { $0.block.contains(address) }
        case .v6(let high, let low):
            if let found = compiledV6.first(where: { $0.block.contains(address) }) { return found }
            // NAT64 well-known prefix: the low 32 bits are the IPv4 address.
            if high == 0x0064_ff9b_0000_0000, low >> 32 == 0 {
                let embedded = IPAddress.v4(UInt32(low & 0xFFFF_FFFF))
                guard let inner = classify(embedded), case .v4(let base) = inner.block.address else { return nil }
                return AddressClass(name: inner.name, block: IPNetwork(address: .v6(high, UInt64(base)),
                                                                       prefixLength: 96 + inner.block.prefixLength))
            }
            // 6to4: 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
            if high >> 48 == 0x2002 {
                let embedded = IPAddress.v4(UInt32((high >> 16) & 0xFFFF_FFFF))
                guard let inner = classify(embedded), case .v4(let base) = inner.block.address else { return nil }
                return AddressClass(name: inner.name, block: IPNetwork(address: .v6(0x2002 << 48 | UInt64(base) << 16, 0),
                                                                       prefixLength: 16 + inner.block.prefixLength))
            }
            return nil
        }
    }
}
