import InterlockProfile
import NIOCore

/// The server name a TLS ClientHello asks for.
enum ClientHello {
    enum Parse: Equatable {
        case incomplete
        case invalid
        /// The SNI host name (lowercased by the caller), or nil when the hello has none.
        case complete(serverName: String?)
    }

    /// `bytes` starts with TLS records; the ClientHello may span several handshake records.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        var handshake: [UInt8] = []
        var offset = bytes.startIndex
        while true {
            guard bytes.endIndex - offset >= 5 else { return .incomplete }
            guard bytes[offset] == 0x16, bytes[offset + 1] == 0x03 else { return .invalid }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard length > 0, length <= 16384 + 2048 else { return .invalid }
            guard bytes.endIndex - offset >= 5 + length else { return .incomplete }
            handshake.append(contentsOf: bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            if handshake.count >= 4 {
                guard handshake[0] == 0x01 else { return .invalid }  // ClientHello
                let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                guard messageLength <= 65536 else { return .invalid }
                if handshake.count >= 4 + messageLength {
                    return parseBody(handshake[4..<(4 + messageLength)])
                }
            }
        }
    }

    private static func parseBody(_ body: ArraySlice<UInt8>) -> Parse {
        var reader = Reader(bytes: body)
        guard reader.skip(2 + 32),  // legacy_version, random
              let sessionIDLength = reader.u8(), reader.skip(Int(sessionIDLength)),
              let suitesLength = reader.u16(), reader.skip(Int(suitesLength)),
              let compressionLength = reader.u8(), reader.skip(Int(compressionLength)) else { return .invalid }
        if reader.atEnd { return .complete(serverName: nil) }
        guard let extensionsLength = reader.u16(), var extensions = reader.sub(Int(extensionsLength)) else { return .invalid }
        while !extensions.atEnd {
            guard let type = extensions.u16(), let length = extensions.u16(), var data = extensions.sub(Int(length)) else {
                return .invalid
            }
            guard type == 0 else { continue }  // server_name
            guard let listLength = data.u16(), var list = data.sub(Int(listLength)) else { return .invalid }
            while !list.atEnd {
                guard let nameType = list.u8(), let nameLength = list.u16(), let name = list.take(Int(nameLength)) else {
                    return .invalid
                }
                if nameType == 0 { return .complete(serverName: String(decoding: name, as: UTF8.self)) }
            }
            return .complete(serverName: nil)
        }
        return .complete(serverName: nil)
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }
        mutating func u8() -> UInt8? {
            guard let first = bytes.first else { return nil }
            bytes = bytes.dropFirst()
            return first
        }
        mutating func u16() -> UInt16? {
            guard bytes.count >= 2 else { return nil }
            let value = UInt16(bytes[bytes.startIndex]) << 8 | UInt16(bytes[bytes.startIndex + 1])
            bytes = bytes.dropFirst(2)
            return value
        }
        mutating func skip(_ count: Int) -> Bool {
            guard bytes.count >= count else { return false }
            bytes = bytes.dropFirst(count)
            return true
        }
        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard bytes.count >= count else { return nil }
            let taken = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return taken
        }
        mutating func sub(_ count: Int) -> Reader? {
            take(count).map { Reader(bytes: $0) }
        }
    }

    /// A fatal TLS alert, `access_denied` (49): what a refused TLS client reads.
    static let accessDeniedAlert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]
}
