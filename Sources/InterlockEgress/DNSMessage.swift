import InterlockProfile
import NIOCore
import Synchronization

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
