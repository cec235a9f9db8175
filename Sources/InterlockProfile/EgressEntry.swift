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
