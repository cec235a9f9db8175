#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem
import NIOCore
import NIOPosix
import Synchronization

// The byte relay between a sandbox client and the origin it was allowed to reach, once the
// front handler (HTTP proxy, SOCKS5, transparent) has decided and connected: both sockets go to
// the splice engine (SpliceRelay.swift), which moves the bytes without copying them through
// user space and reports the counts when the connection ends. Connections the inspector takes
// over stay on NIO (Inspection.swift).
//
// NIO owns the client socket during the front phase; the proxy accepted it itself, so it knows
// the descriptor. At the handover the proxy duplicates it and closes the NIO channel (which
// deregisters and closes only NIO's descriptor): the connection lives on in the duplicate. NIO
// reads nothing past the request meanwhile (the front handler holds reads while dialing), so
// what it did read is in `pending`, written to the origin first.

/// Moves the connection to the splice engine: once what the front handler wrote to the client
/// (a 200, a SOCKS reply) is on the wire, the client socket leaves NIO and the engine relays
/// between it and `origin`, `pending` (bytes already received from the client, or a rewritten
/// request) first. The session's close record carries the engine's counts.
func startRelay(client context: ChannelHandlerContext, front: FrontHandler, origin: OriginSocket,
                session: RelaySession, pending: ByteBuffer) {
    let client = context.channel
    let loop = context.eventLoop
    let core = session.core
    context.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { result in
        guard case .success = result, client.isActive, let slot = front.client,
              let originDescriptor = origin.take() else {
            origin.close()
            client.close(promise: nil)
            session.finish(reason: "closed before the relay started")
            return
        }
        let clientDescriptor = fcntl(slot.descriptor, F_DUPFD_CLOEXEC, 0)
        guard clientDescriptor >= 0 else {
            let reason = "relay setup failed: \(SystemCallError("dup"))"
            _ = Glibc.close(originDescriptor)
            client.close(promise: nil)
            session.finish(reason: reason)
            return
        }
        var bytes = pending
        bytes.writeBuffer(&front.buffer)  // anything that arrived since (nothing while reads are held)
        front.relayStarted()
        // The connection keeps its place in the count until the relay ends.
        slot.handedOver = true
        client.close(promise: nil)
        let boundSession = NIOLoopBound(session, eventLoop: loop)
        core.splice.relay(client: clientDescriptor, origin: originDescriptor, pending: bytes.readBytes(length: bytes.readableBytes) ?? []) { outcome in
            slot.release()
            loop.execute {
                let session = boundSession.value
                session.bytesUp = outcome.bytesUp
                session.bytesDown = outcome.bytesDown
                session.finish(reason: outcome.reason)
            }
        }
    }
}
