import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// The sandbox's side: complete requests in, decisions made, responses out.
final class ClientSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let session: InspectSession
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var prefix: [UInt8] = []
    static let prefixBytes = 64 << 10

    init(session: InspectSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
            tooLarge = false
            prefix = []
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > session.inspector.settings.maxBodyBytes {
                prefix = Array(((body.map { Array($0.readableBytesView.prefix(Self.prefixBytes)) } ?? [])
                    + Array(chunk.readableBytesView.prefix(Self.prefixBytes))).prefix(Self.prefixBytes))
                tooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body?.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            var request = InspectedRequest(
                host: session.host, method: head.method.rawValue, target: head.uri,
                headers: head.headers.map { ($0.name.lowercased(), $0.value) },
                body: body.map { Array($0.readableBytesView) } ?? [])
            request.bodyTooLarge = tooLarge
            request.bodyPrefix = prefix
            prefix = []
            body = nil
            RequestGate(session: session, head: head, request: request).run()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.origin.close(promise: nil)
        context.fireChannelInactive()
    }
}
