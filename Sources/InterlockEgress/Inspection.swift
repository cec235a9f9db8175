import NIOCore

/// The hook TLS inspection plugs into (InterlockInspect implements it): connections to the hosts
/// it names are handed over once the origin is connected, instead of being relayed as bytes.
/// Everything the proxy checks before that (allowlist, resolution, address checks, the
/// `connect` audit record) has happened.
public protocol EgressInspector: Sendable {
    /// Whether connections to `host` (lowercased name as decided) on `port` are inspected.
    func inspects(host: String, port: Int) -> Bool
    /// Takes over both channels, on their (shared) event loop. The proxy's handlers have left
    /// the client's pipeline; `pending` holds what the client sent already (a ClientHello on
    /// the transparent path). Reads on the client channel are the inspector's to start.
    func takeOver(client: Channel, origin: Channel, host: String, port: Int, connectionID: UInt64, pending: ByteBuffer)
}

extension FrontHandler {
    /// The inspector for `host:port`, if it is inspected.
    func inspector(for host: String, port: Int) -> (any EgressInspector)? {
        guard let inspector = core.inspector, inspector.inspects(host: host, port: port) else { return nil }
        return inspector
    }

    /// Hands the connection to `inspector` (instead of `relay`), with the origin socket wrapped
    /// in a NIO channel. The session's `close` record is written when both channels have closed.
    func inspect(context: ChannelHandlerContext, to origin: OriginSocket, session: RelaySession, inspector: any EgressInspector,
                 pending: ByteBuffer? = nil) {
        let bytes = pending ?? buffer
        buffer.clear()
        origin.channel(on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.inspect(context: context, to: channel, session: session, inspector: inspector, pending: bytes)
            case .failure(let error):
                context.close(promise: nil)
                session.finish(reason: "inspection setup failed: \(error)")
            }
        }
    }

    private func inspect(context: ChannelHandlerContext, to origin: Channel, session: RelaySession, inspector: any EgressInspector,
                         pending bytes: ByteBuffer) {
        let client = context.channel
        guard client.isActive, origin.isActive else {
            origin.close(promise: nil)
            context.close(promise: nil)
            session.finish(reason: "closed before inspection started")
            return
        }
        session.core.track(origin)
        let loop = context.eventLoop
        client.closeFuture.and(origin.closeFuture).hop(to: loop).assumeIsolated().whenComplete { _ in
            session.finish(reason: nil)
        }
        relayStarted()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        inspector.takeOver(client: client, origin: origin, host: session.host, port: session.port, connectionID: session.id, pending: bytes)
    }

    /// Plain HTTP (or an unknown protocol) to a host whose requests are inspected: refused, since
    /// the rules and the credential broker work on TLS connections the proxy terminates.
    static func inspectedNeedsTLS(host: String, port: Int) -> String {
        "requests to \(host) are inspected by Interlock and must use HTTPS (TLS): plain connections to \(host):\(port) are refused"
    }
}
