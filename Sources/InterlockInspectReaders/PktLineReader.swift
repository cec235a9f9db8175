/// Reads git's pkt-line framing strictly: four hex digits of length (which counts themselves),
/// then the payload; `0000` is a flush. Anything git itself would not write is refused rather
/// than read in a way another reader might not share: a length of 1 to 3 (or a protocol v2
/// delimiter in a v0/v1 exchange), a length past the end of the body, a payload over git's
/// largest packet.
package struct PktLineReader {
    package enum Packet: Equatable {
        case flush
        case data(ArraySlice<UInt8>)
    }

    package struct Failure: Error, Equatable {
        package var message: String
    }

    /// git's LARGE_PACKET_MAX: the largest packet, length digits included.
    package static let largestPacket = 65520

    let bytes: [UInt8]
    package private(set) var offset: Int

    package init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    package var atEnd: Bool { offset == bytes.count }
    /// What follows the packets read so far (the pack, after the commands).
    package var rest: ArraySlice<UInt8> { bytes[offset...] }

    package mutating func next() throws(Failure) -> Packet {
        guard bytes.count - offset >= 4 else {
            throw Failure(message: atEnd ? "the body ends before its flush packet" : "a truncated pkt-line length")
        }
        var length = 0
        for byte in bytes[offset..<offset + 4] {
            guard let digit = Self.hexDigit(byte) else { throw Failure(message: "a pkt-line length that is not four hex digits") }
            length = length << 4 | digit
        }
        if length == 0 {
            offset += 4
            return .flush
        }
        guard length >= 4 else { throw Failure(message: "a pkt-line length of \(length) (a delimiter or invalid)") }
        guard length <= Self.largestPacket else { throw Failure(message: "a pkt-line longer than git's largest packet") }
        guard offset + length <= bytes.count else { throw Failure(message: "a pkt-line longer than the rest of the body") }
        let payload = bytes[offset + 4..<offset + length]
        offset += length
        return .data(payload)
    }

    /// Lowercase and uppercase, as git's own reader takes both.
    static func hexDigit(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: Int(c - 0x30)
        case 0x61...0x66: Int(c - 0x61 + 10)
        case 0x41...0x46: Int(c - 0x41 + 10)
        default: nil
        }
    }
}
