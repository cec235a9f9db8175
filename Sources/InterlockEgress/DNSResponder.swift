import InterlockProfile
import NIOCore
import Synchronization

/// The addresses the sandbox's DNS gives allowed names: one shared address, or one address per
/// name from a block (kept for the proxy's lifetime, so a connection to it means that name).
final class SyntheticAddresses: Sendable {
    enum Lookup: Equatable {
        /// The address was handed out for this name.
        case name(String)
        /// The shared address, or an unassigned address of the block: it stands for no name.
        case shared
        /// Not a synthetic address.
        case none
    }

    let network: IPNetwork
    /// Nil: one shared address.
    private let capacity: UInt32?
    private struct Assignments {
        var byName: [String: IPAddress] = [:]
        var byAddress: [IPAddress: String] = [:]
        var next: UInt32 = 1
    }
    private let assignments = Mutex(Assignments())

    /// `127.0.0.2`, or an IPv4 block with at least 4 addresses (`127.100.0.0/16`); at most 65536
    /// names are handed out.
    init(_ text: String) throws(EgressError) {
        if let address = IPAddress(text) {
            guard address.isIPv4 else { throw EgressError("the synthetic address must be IPv4: \(text)") }
            network = IPNetwork(address: address, prefixLength: 32)
            capacity = nil
            return
        }
        guard case .success(let block) = IPNetwork.parse(text), block.address.isIPv4, block.prefixLength <= 30 else {
            throw EgressError("the synthetic address must be an IPv4 address or an IPv4 block of /30 or larger: '\(text)'")
        }
        network = block
        capacity = UInt32(min(UInt64(1) << UInt64(32 - block.prefixLength), 65538) - 2)
    }

    /// The address to answer for `name` (assigning one if needed); nil when the block is full.
    func address(for name: String) -> IPAddress? {
        guard let capacity else { return network.address }
        guard case .v4(let base) = network.address else { return nil }
        return assignments.withLock { state -> IPAddress? in
            if let known = state.byName[name] { return known }
            guard state.next <= capacity else { return nil }
            let address = IPAddress.v4(base + state.next)
            state.next += 1
            state.byName[name] = address
            state.byAddress[address] = name
            return address
        }
    }

    func lookup(_ address: IPAddress) -> Lookup {
        guard network.contains(address) else { return .none }
        guard capacity != nil else { return .shared }
        return assignments.withLock { $0.byAddress[address] }.map(Lookup.name) ?? .shared
    }
}

/// DNS messages, just enough to answer one question.
enum DNSMessage {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28
    static let classIN: UInt16 = 1
    static let ttl: UInt32 = 60

    enum RCode: UInt8 { case noError = 0, formErr = 1, servFail = 2, nxDomain = 3, notImp = 4, refused = 5 }

    struct Question: Equatable {
        /// Lowercased, labels joined with dots, no trailing dot. Nil if a label is not a host
        /// name label (the query is refused).
        var name: String?
        /// For messages: printable.
        var shownName: String
        var type: UInt16
        var qclass: UInt16
        /// The question section as received (case preserved, for 0x20 randomisation).
        var raw: ArraySlice<UInt8>
    }

    enum Parsed {
        case query(id: UInt16, flags: UInt16, question: Question)
        /// Answer with this code and no question.
        case error(id: UInt16, flags: UInt16, RCode)
        /// Not worth an answer (a response, or too short for an ID).
        case ignore
    }

    static func parse(_ bytes: [UInt8]) -> Parsed {
        guard bytes.count >= 12 else { return .ignore }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        guard flags & 0x8000 == 0 else { return .ignore }  // QR: a response
        let opcode = (flags >> 11) & 0xF
        guard opcode == 0 else { return .error(id: id, flags: flags, .notImp) }
        let qdcount = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard qdcount == 1 else { return .error(id: id, flags: flags, .formErr) }
        var offset = 12
        var labels: [String] = []
        var valid = true
        var total = 0
        while true {
            guard offset < bytes.count else { return .error(id: id, flags: flags, .formErr) }
            let length = Int(bytes[offset])
            offset += 1
            if length == 0 { break }
            // Compression pointers (0xC0) and extended label types have no place in a question.
            guard length <= 63, offset + length <= bytes.count else { return .error(id: id, flags: flags, .formErr) }
            total += length + 1
            guard total <= 255 else { return .error(id: id, flags: flags, .formErr) }
            let label = bytes[offset..<(offset + length)]
            if !label.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }) {
                valid = false
            }
            labels.append(String(decoding: label, as: UTF8.self))
            offset += length
        }
        guard offset + 4 <= bytes.count else { return .error(id: id, flags: flags, .formErr) }
        let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        let qclass = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
        let raw = bytes[12..<(offset + 4)]
        let joined = labels.joined(separator: ".")
        let name = valid && !labels.isEmpty ? HostName.normalize(joined) : nil
        return .query(id: id, flags: flags,
                      question: Question(name: name, shownName: EgressRules.printable(joined), type: type, qclass: qclass, raw: raw))
    }

    /// A response: RD copied, RA and AA set, the question echoed, and an A record if `address`.
    static func response(id: UInt16, queryFlags: UInt16, question: Question?, rcode: RCode, address: IPAddress? = nil) -> [UInt8] {
        var flags: UInt16 = 0x8000 | 0x0400 | 0x0080  // QR, AA, RA
        flags |= queryFlags & 0x0100  // RD
        flags |= queryFlags & 0x7800  // opcode
        flags |= UInt16(rcode.rawValue)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        func u16(_ value: UInt16) { out.append(UInt8(value >> 8)); out.append(UInt8(value & 0xFF)) }
        func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }
        u16(id)
        u16(flags)
        u16(question == nil ? 0 : 1)
        u16(address == nil ? 0 : 1)
        u16(0)
        u16(0)
        if let question { out.append(contentsOf: question.raw) }
        if let address, case .v4(let value) = address {
            u16(0xC00C)  // the name: a pointer to the question's
            u16(typeA)
            u16(classIN)
            u32(ttl)
            u16(4)
            u32(value)
        }
        return out
    }
}

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
