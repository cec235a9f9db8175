import InterlockJSON
import InterlockProfile

enum FormEncoding {
    /// `a=1&b=x%20y` → [("a", "1"), ("b", "x y")].
    static func fields(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Percent-escapes decoded, and `+` as a space unless `plusIsSpace` is false (paths).
    static func decode(_ text: Substring, plusIsSpace: Bool = true) -> String {
        String(decoding: decodeBytes(Array(text.utf8)[...], plusIsSpace: plusIsSpace), as: UTF8.self)
    }

    static func decodeBytes(_ b: ArraySlice<UInt8>, plusIsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = b.startIndex
        while i < b.endIndex {
            if plusIsSpace, b[i] == 0x2B { out.append(0x20); i += 1; continue }
            if b[i] == 0x25, i + 2 < b.endIndex, let high = hexValue(b[i + 1]), let low = hexValue(b[i + 2]) {
                out.append(high << 4 | low)
                i += 3
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
