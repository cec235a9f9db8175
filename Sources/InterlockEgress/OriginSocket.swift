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

/// The connected origin socket, until the relay or the inspector takes it (or it is closed).
/// Used on the proxy's event loop only.
final class OriginSocket {
    private(set) var descriptor: Int32?

    init(_ descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    /// Ownership passes to the caller.
    func take() -> Int32? {
        defer { descriptor = nil }
        return descriptor
    }

    func close() {
        if let descriptor = take() { _ = Glibc.close(descriptor) }
    }

    /// A NIO channel on the socket, for the inspector.
    func channel(on eventLoop: EventLoop) -> EventLoopFuture<Channel> {
        guard let descriptor = take() else { return eventLoop.makeFailedFuture(ChannelError.alreadyClosed) }
        return ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: RelayTuning.recvAllocator)
            .channelOption(.writeBufferWaterMark, value: RelayTuning.waterMark)
            .withConnectedSocket(descriptor)
    }
}
