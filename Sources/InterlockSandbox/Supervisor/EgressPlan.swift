#if canImport(Glibc)
import Glibc
#endif
import InterlockEgress
import InterlockProfile

/// How the sandbox reaches the network: only through the supervisor's egress proxy, whose
/// listeners the child opens inside the sandbox's network namespace (reachable from that
/// sandbox alone). Every IPv4 destination is routed to loopback there, so tools that ignore the
/// proxy variables land on a transparent listener that applies the same checks.
public struct EgressPlan: Sendable {
    /// The HTTP/SOCKS5 proxy port inside the sandbox (127.0.0.1).
    public static let proxyPort: UInt16 = 3128
    /// Names the DNS responder answers get addresses from this block (all local inside).
    public static let syntheticBlock = "127.100.0.0/16"

    public var rules: EgressRules
    public var hosts: [String: String]
    /// Ports with a transparent listener: the explicit ports of the allowlist (80 and 443 for an
    /// entry without a port), at most 13.
    public var transparentPorts: [UInt16]
    /// TLS inspection of the hosts request rules and credentials name (see `addInspection`).
    public var inspection: InspectionPlan? = nil

    public static func make(policy: Policy) throws(LaunchError) -> EgressPlan {
        var rules: EgressRules
        do {
            rules = try EgressRules(policy: policy.network, environment: policy.environment, profileFile: policy.sources.last)
            // The sandbox's own name (in its /etc/hosts) must not look like a refused lookup.
            if policy.network.hosts["interlock"] == nil { try rules.addHosts(["interlock": "127.0.1.1"]) }
        } catch { throw .invalid("network: \(error.message)") }
        // Transparent listeners only on ports something is allowed on: they take the port from
        // servers the agent runs inside (0.0.0.0:P vs 127.0.0.1:P), so none without a reason.
        var ports: Set<UInt16> = []
        for text in policy.network.egress {
            guard let entry = EgressEntry(text) else { continue }
            switch entry.ports {
            case .unspecified: ports.formUnion([80, 443])
            case .range(let r) where r.count <= 4: ports.formUnion(r.compactMap { UInt16(exactly: $0) })
            default: break  // "any port" or wide ranges: reachable through the proxy variables only
            }
        }
        ports.remove(proxyPort)
        ports.remove(53)
        ports.remove(0)
        return EgressPlan(rules: rules, hosts: policy.network.hosts, transparentPorts: ports.sorted().prefix(13).map { $0 })
    }

    /// What tools inside read to find the proxy.
    public static let environment: [String] = {
        // ALL_PROXY is http:// too: httpx (the OpenAI and Anthropic Python SDKs, litellm) builds a
        // transport for every proxy variable and fails without its optional SOCKS package.
        // SOCKS5 stays available on the same port for clients configured with it explicitly.
        let http = "http://127.0.0.1:\(proxyPort)"
        return [
            "HTTP_PROXY=\(http)", "HTTPS_PROXY=\(http)", "http_proxy=\(http)", "https_proxy=\(http)",
            "ALL_PROXY=\(http)", "all_proxy=\(http)",
            "NO_PROXY=localhost,127.0.0.1,::1", "no_proxy=localhost,127.0.0.1,::1",
            "npm_config_proxy=\(http)", "npm_config_https_proxy=\(http)", "PIP_PROXY=\(http)",
        ]
    }()

    static let proxyVariables: Set<String> = Set(environment.map { String($0.prefix { $0 != "=" }) })

    /// The caller's environment with any proxy settings replaced by the sandbox's.
    public static func apply(to environment: [String]) -> [String] {
        environment.filter { !proxyVariables.contains(String($0.prefix { $0 != "=" })) } + Self.environment
    }

    /// resolv.conf inside: the sandbox's own resolver only.
    static let resolvConf = "# Interlock: names resolve only through the sandbox's resolver (allowlisted names only).\nnameserver 127.0.0.1\noptions ndots:1 timeout:2 attempts:2\n"
}
