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

/// Socket settings of the NIO channels (client front phase, inspected connections): large reads
/// (fewer system calls per byte; a buffer grows only while the connection is busy) and write
/// water marks that bound what one connection can hold in memory.
enum RelayTuning {
    static let recvAllocator = AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 256 * 1024)
    static let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 128 * 1024, high: 512 * 1024)
}
