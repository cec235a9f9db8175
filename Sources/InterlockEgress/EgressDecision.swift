import InterlockProfile

/// The answer of `EgressRules.decide` or `EgressRules.check`.
public struct EgressDecision: Sendable, Equatable {
    public var allowed: Bool
    /// What decided, for audit records and refusal messages: `egress "api.example.com:443"`,
    /// `deny "*.prod.example.com"`, `network.hosts "api.staging.test" = "127.0.0.1"`,
    /// `no matching egress entry`, or `built-in: loopback addresses need an explicit entry`.
    public var rule: String
    /// For refusals: why, in one sentence.
    public var reason: String?
    /// For allowed decisions: the addresses that may be connected to, in order (from `check`,
    /// or the literal address from `decide` when the host is an IP literal).
    public var addresses: [IPAddress]

    public init(allowed: Bool, rule: String, reason: String? = nil, addresses: [IPAddress] = []) {
        self.allowed = allowed
        self.rule = rule
        self.reason = reason
        self.addresses = addresses
    }
}
