import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// TLS inspection for the egress proxy: terminates the sandbox's TLS with a leaf of the run's
/// CA, parses HTTP/1.1, applies the rules, the credential broker and the found-token check, and
/// re-originates each allowed request over a verified TLS connection to the real host.
public final class RequestInspector: EgressInspector {
    let settings: InspectionSettings
    let authority: CertificateAuthority
    let upstreamContext: NIOSSLContext
    let rules: RequestRules
    let tokens: FoundTokens
    let desk: ApprovalDesk?
    let audit: @Sendable (InspectEvent) -> Void

    public init(settings: InspectionSettings, authority: CertificateAuthority, desk: ApprovalDesk?,
                audit: @escaping @Sendable (InspectEvent) -> Void) throws(CertificateAuthority.Failure) {
        self.settings = settings
        self.authority = authority
        self.desk = desk
        self.audit = audit
        self.rules = RequestRules(rules: settings.rules)
        self.tokens = FoundTokens(hiddenValues: settings.hiddenValues)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let ca = settings.upstreamCA { configuration.additionalTrustRoots = [.file(ca)] }
        do {
            upstreamContext = try NIOSSLContext(configuration: configuration)
        } catch {
            throw CertificateAuthority.Failure(description: "TLS to the inspected hosts: \(error)")
        }
    }

    public func inspects(host: String, port: Int) -> Bool {
        settings.inspectedHosts.contains { HostPattern.matches($0, host) }
    }

    public func takeOver(client: Channel, origin: Channel, host: String, port: Int, connectionID: UInt64, pending: ByteBuffer) {
        let session = InspectSession(inspector: self, host: host, connectionID: connectionID, client: client, origin: origin)
        do {
            let server = try authority.serverContext(for: host)
            try client.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: server))
            try client.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try client.pipeline.syncOperations.addHandler(ClientSideHandler(session: session))
            try origin.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: upstreamContext, serverHostname: host))
            try origin.pipeline.syncOperations.addHTTPClientHandlers()
            try origin.pipeline.syncOperations.addHandler(OriginSideHandler(session: session))
        } catch {
            client.close(promise: nil)
            origin.close(promise: nil)
            return
        }
        if pending.readableBytes > 0 { client.pipeline.fireChannelRead(pending) }
        client.read()
        origin.read()
    }

    /// The refusal sentence an agent reads and relays.
    func refusal(_ what: String, host: String, verb: String, by: String, advice: String = "ask a human to run it") -> String {
        let environment = settings.environment.map { " in environment \($0)" } ?? ""
        return "interlock: \(what) on \(host) is \(verb)\(environment) by \(by) — \(advice)"
    }
}
