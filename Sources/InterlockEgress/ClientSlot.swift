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

/// One accepted client connection: its descriptor, and its place in the connection count,
/// released once when the connection ends (its NIO channel closed, or the splice relay ended).
final class ClientSlot: Sendable {
    let core: ProxyCore
    let descriptor: Int32
    private let released = Atomic<Bool>(false)
    private let spliced = Atomic<Bool>(false)

    init(core: ProxyCore, descriptor: Int32) {
        self.core = core
        self.descriptor = descriptor
    }

    /// Set when the splice relay took the connection over (the NIO channel's close then no
    /// longer ends it).
    var handedOver: Bool {
        get { spliced.load(ordering: .relaxed) }
        set { spliced.store(newValue, ordering: .relaxed) }
    }

    func release() {
        if !released.exchange(true, ordering: .relaxed) { core.clientConnections.subtract(1, ordering: .relaxed) }
    }
}
