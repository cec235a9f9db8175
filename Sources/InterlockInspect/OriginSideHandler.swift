import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// The real host's side: responses relayed to the sandbox as they come.
final class OriginSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let session: InspectSession

    init(session: InspectSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let client = session.client
        switch unwrapInboundIn(data) {
        case .head(let head):
            var out = head
            if session.closeAfterResponse { out.headers.replaceOrAdd(name: "Connection", value: "close") }
            client.write(HTTPServerResponsePart.head(out), promise: nil)
        case .body(let chunk):
            client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(chunk)), promise: nil)
        case .end(let trailers):
            session.awaitingResponse = false
            let done = client.writeAndFlush(HTTPServerResponsePart.end(trailers))
            session.lastResponseWrite = done
            if session.closeAfterResponse || session.originClosed {
                done.whenComplete { _ in client.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        session.originFailed(UpstreamError.describe(error, host: session.host))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.originClosed = true
        if session.originFailure == nil {
            // A clean close (the host's idle timeout): the client reconnects for its next request.
            // A failure (its certificate did not verify) stays, to be explained on the next request.
            session.originFailure = "the connection to \(session.host) closed"
            if session.awaitingResponse {
                session.awaitingResponse = false
                session.client.close(promise: nil)
            } else {
                let client = session.client
                if let last = session.lastResponseWrite {
                    last.whenComplete { _ in client.close(promise: nil) }
                } else {
                    client.close(promise: nil)
                }
            }
        }
        context.fireChannelInactive()
    }
}
