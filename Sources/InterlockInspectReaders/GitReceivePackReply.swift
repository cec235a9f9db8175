/// receive-pack's answer to a push, written by Interlock for a push it refuses: messages on
/// side band 2 (git prints them as `remote: …`), then the report-status (`unpack ok`, one
/// `ng REF REASON` per ref) on band 1, or bare when the client asked for no side band.
package enum GitReceivePackReply {
    package static func refusal(messages: [String], statuses: [(String, String)], capabilities: [String]) -> [UInt8] {
        let sideband = capabilities.contains("side-band-64k") || capabilities.contains("side-band")
        let bandLimit = capabilities.contains("side-band-64k") ? PktLineReader.largestPacket - 5 : 1000 - 5
        var report: [UInt8] = []
        if capabilities.contains("report-status") || capabilities.contains("report-status-v2") {
            report += packet(Array("unpack ok\n".utf8))
            for (ref, reason) in statuses { report += packet(Array("ng \(ref) \(oneLine(reason))\n".utf8)) }
            report += Array("0000".utf8)
        }
        guard sideband else { return report }
        var out: [UInt8] = []
        for message in messages {
            out += banded(2, Array((oneLine(message) + "\n").utf8), limit: bandLimit)
        }
        out += banded(1, report, limit: bandLimit)
        out += Array("0000".utf8)
        return out
    }

    static func packet(_ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 4
        let digits = Array("0123456789abcdef".utf8)
        return [digits[length >> 12 & 0xF], digits[length >> 8 & 0xF], digits[length >> 4 & 0xF], digits[length & 0xF]] + payload
    }

    static func banded(_ band: UInt8, _ data: [UInt8], limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        while start < data.count {
            let end = min(start + limit, data.count)
            out += packet([band] + data[start..<end])
            start = end
        }
        return out
    }

    /// Control characters would break git's line framing and the user's terminal.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
