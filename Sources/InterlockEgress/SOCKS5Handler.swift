import InterlockProfile
import NIOCore

/// SOCKS5 (RFC 1928) on the proxy port: the "no authentication" method, the CONNECT command,
/// and addresses as a domain name (ATYP 3: checked like an HTTP CONNECT to that name — clients
/// should resolve remotely, `socks5h://`), IPv4 (ATYP 1) or IPv6 (ATYP 4: IP literals, which need
/// an IP entry, unless they are synthetic addresses from the sandbox's DNS).
///
/// Replies: 0x00 success (bound address 0.0.0.0:0), 0x02 connection not allowed by ruleset
/// (the policy refused; audited), 0x04 host unreachable (resolution failed), 0x05 connection
/// refused, 0x06 TTL expired (connect timeout), 0x01 other failures, 0x07 command not supported
/// (BIND, UDP ASSOCIATE), 0x08 address type not supported. A client offering no acceptable
/// method gets 0xFF and the connection closes.
final class SOCKS5Handler: FrontHandler {
    private enum Stage { case greeting, request }
    private var stage = Stage.greeting

    override func process(context: ChannelHandlerContext) {
        while true {
            let bytes = Array(buffer.readableBytesView)
            switch stage {
            case .greeting:
                guard bytes.count >= 2 else { return incomplete(context) }
                guard bytes[0] == 0x05 else { return finish(context: context) }
                let count = Int(bytes[1])
                guard bytes.count >= 2 + count else { return incomplete(context) }
                let methods = bytes[2..<(2 + count)]
                buffer.moveReaderIndex(forwardBy: 2 + count)
                guard methods.contains(0x00) else {
                    return respondAndClose(context: context, [0x05, 0xFF])
                }
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: [0x05, 0x00])), promise: nil)
                stage = .request
            case .request:
                guard bytes.count >= 5 else { return incomplete(context) }
                guard bytes[0] == 0x05 else { return finish(context: context) }
                let host: String
                var length: Int
                switch bytes[3] {
                case 0x01:
                    length = 4 + 4
                    guard bytes.count >= length + 2 else { return incomplete(context) }
                    host = IPAddress(bytes: Array(bytes[4..<8]))!.description
                case 0x03:
                    let nameLength = Int(bytes[4])
                    length = 5 + nameLength
                    guard bytes.count >= length + 2 else { return incomplete(context) }
                    host = String(decoding: bytes[5..<(5 + nameLength)], as: UTF8.self)
                case 0x04:
                    length = 4 + 16
                    guard bytes.count >= length + 2 else { return incomplete(context) }
                    host = IPAddress(bytes: Array(bytes[4..<20]))!.hostPortForm
                default:
                    return respondAndClose(context: context, SOCKS5Handler.reply(0x08))
                }
                let port = Int(bytes[length]) << 8 | Int(bytes[length + 1])
                length += 2
                guard bytes[1] == 0x01 else {
                    return respondAndClose(context: context, SOCKS5Handler.reply(0x07))
                }
                buffer.moveReaderIndex(forwardBy: length)
                dial(context: context, host: host, port: port, proto: .socks5) { result in
                    switch result {
                    case .connected(let origin, let session):
                        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: SOCKS5Handler.reply(0x00))),
                                              promise: nil)
                        self.relay(context: context, to: origin, session: session)
                    case .refused:
                        self.respondAndClose(context: context, SOCKS5Handler.reply(0x02))
                    case .failed(_, _, let reason):
                        let code: UInt8
                        if reason.hasPrefix("cannot resolve") || reason.hasPrefix("resolving") {
                            code = 0x04
                        } else if reason.hasSuffix("Connection refused") {
                            code = 0x05
                        } else if reason.hasSuffix("timed out") {
                            code = 0x06
                        } else {
                            code = 0x01
                        }
                        self.respondAndClose(context: context, SOCKS5Handler.reply(code))
                    }
                }
                return
            }
        }
    }

    private func incomplete(_ context: ChannelHandlerContext) {
        if inputClosed { finish(context: context) }
    }

    /// VER REP RSV ATYP=IPv4 0.0.0.0 port 0.
    static func reply(_ code: UInt8) -> [UInt8] {
        [0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]
    }
}
