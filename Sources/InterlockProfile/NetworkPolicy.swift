/// `[network]`. Every value was validated by the loader (see `EgressEntry` for the grammar of
/// `egress` and `deny`).
public struct NetworkPolicy: Sendable, Codable, Equatable {
    /// Where the sandbox may connect: `EgressEntry` texts, as written.
    public var egress: [String] = []
    /// Entries that override `egress` (same grammar; without a port they cover every port).
    public var deny: [String] = []
    /// `hosts = { "api.staging.test" = "127.0.0.1" }`: names the egress proxy resolves itself,
    /// never through DNS. Keys are lowercased host names without a trailing dot; values are IP
    /// addresses in canonical form (`IPAddress.description`). A name mapped here to a loopback,
    /// private or link-local address is allowed to reach it (it is named explicitly); it still
    /// needs an `egress` entry. Merged by name: a later profile or the environment replaces a name.
    public var hosts: [String: String] = [:]
    /// Filesystem unix sockets the sandbox may connect to, as written (absolute, `~/…` or
    /// relative to the workspace): each one is granted on its own.
    public var unixSockets: [String] = []

    enum CodingKeys: String, CodingKey {
        case egress, deny, hosts, unixSockets = "unix_sockets"
    }

    public init(egress: [String] = [], deny: [String] = [], hosts: [String: String] = [:], unixSockets: [String] = []) {
        self.egress = egress
        self.deny = deny
        self.hosts = hosts
        self.unixSockets = unixSockets
    }
}
