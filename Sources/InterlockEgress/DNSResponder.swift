import InterlockProfile
import NIOCore
import Synchronization

/// The sandbox's resolver (UDP): A queries for allowed names (an `egress` name entry matches
/// them on some port, or `network.hosts` names them) get the synthetic address; other query
/// types for allowed names get an empty NOERROR answer (so AAAA lookups fall back to IPv4);
/// everything else is REFUSED and audited (`dns`, `deny`). No query ever reaches a real DNS server.
final class DNSResponder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let core: ProxyCore
    let synthetic: SyntheticAddresses

    init(core: ProxyCore, synthetic: SyntheticAddresses) {
        self.core = core
        self.synthetic = synthetic
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard let reply = answer(bytes) else { return }
        let buffer = context.channel.allocator.buffer(bytes: reply)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram error (e.g. ICMP unreachable for a client that went away) is not fatal.
    }

    func answer(_ bytes: [UInt8]) -> [UInt8]? {
        switch DNSMessage.parse(bytes) {
        case .ignore:
            return nil
        case .error(let id, let flags, let rcode):
            return DNSMessage.response(id: id, queryFlags: flags, question: nil, rcode: rcode)
        case .query(let id, let flags, let question):
            guard question.qclass == DNSMessage.classIN, let name = question.name, core.rules.allowsName(name) else {
                core.audit(EgressEvent(kind: .dns, action: .deny, host: question.name ?? question.shownName, port: 53,
                                       rule: "no matching egress entry",
                                       protocol: .dns,
                                       reason: "DNS query for \(question.name ?? question.shownName) (\(DNSResponder.typeName(question.type))) refused: "
                                           + "the name matches no network.egress name entry and is not in network.hosts"))
                return DNSMessage.response(id: id, queryFlags: flags, question: question, rcode: .refused)
            }
            guard question.type == DNSMessage.typeA else {
                return DNSMessage.response(id: id, queryFlags: flags, question: question, rcode: .noError)
            }
            guard let address = synthetic.address(for: name) else {
                core.audit(EgressEvent(kind: .dns, action: .error, host: name, port: 53, rule: "synthetic addresses",
                                       protocol: .dns, reason: "no synthetic address left for \(name)"))
                return DNSMessage.response(id: id, queryFlags: flags, question: question, rcode: .servFail)
            }
            return DNSMessage.response(id: id, queryFlags: flags, question: question, rcode: .noError, address: address)
        }
    }

    static func typeName(_ type: UInt16) -> String {
        switch type {
        case 1: return "A"
        case 2: return "NS"
        case 5: return "CNAME"
        case 6: return "SOA"
        case 12: return "PTR"
        case 15: return "MX"
        case 16: return "TXT"
        case 28: return "AAAA"
        case 33: return "SRV"
        case 64: return "SVCB"
        case 65: return "HTTPS"
        case 255: return "ANY"
        default: return "TYPE\(type)"
        }
    }
}
