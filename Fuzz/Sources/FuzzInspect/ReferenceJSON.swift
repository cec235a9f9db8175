@testable import InterlockInspectReaders
import InterlockJSON

/// An independent JSON decoder for the fuzz property: RFC 8259 read permissively where parsers
/// differ, noting each such place instead of refusing it. Strings are decoded to UTF-16 code
/// units first (as JavaScript and Python hold them), so a lone surrogate shows as one.
struct ReferenceJSON {
    let bytes: [UInt8]
    var at = 0
    /// Set when some conforming parsers would read the text differently from others.
    var ambiguous: Bool { why != nil }
    var why: String?

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> JSONValue? {
        guard let value = value(depth: 0) else { return nil }
        space()
        return at == bytes.count ? value : nil
    }

    var current: UInt8? { at < bytes.count ? bytes[at] : nil }

    mutating func space() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { at += 1 }
    }

    mutating func eat(_ c: UInt8) -> Bool {
        space()
        guard current == c else { return false }
        at += 1
        return true
    }

    mutating func value(depth: Int) -> JSONValue? {
        guard depth < 256 else { return nil }
        space()
        guard let c = current else { return nil }
        switch c {
        case UInt8(ascii: "{"):
            at += 1
            var fields: [(String, JSONValue)] = []
            if eat(UInt8(ascii: "}")) { return .object(fields) }
            repeat {
                space()
                guard current == UInt8(ascii: "\""), let key = string(), eat(UInt8(ascii: ":")), let item = value(depth: depth + 1) else { return nil }
                if key.contains("\0") { why = why ?? "NUL in a key" }
                if fields.contains(where: { Array($0.0.utf8) == Array(key.utf8) }) { why = why ?? "a key twice" }
                fields.append((key, item))
            } while eat(UInt8(ascii: ","))
            return eat(UInt8(ascii: "}")) ? .object(fields) : nil
        case UInt8(ascii: "["):
            at += 1
            var items: [JSONValue] = []
            if eat(UInt8(ascii: "]")) { return .array(items) }
            repeat {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
            } while eat(UInt8(ascii: ","))
            return eat(UInt8(ascii: "]")) ? .array(items) : nil
        case UInt8(ascii: "\""):
            return string().map(JSONValue.string)
        default:
            for (word, node) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null)] where bytes[at...].starts(with: word.utf8) {
                at += word.utf8.count
                return node
            }
            return number()
        }
    }

    mutating func number() -> JSONValue? {
        let text = bytes[at...].prefix { (0x30...0x39).contains($0) || "+-.eE".utf8.contains($0) }
        let s = String(decoding: text, as: UTF8.self)
        // -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? by hand: split into its parts.
        var rest = Substring(s)
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        let integer = rest.prefix { $0.isASCII && $0.isNumber }
        guard !integer.isEmpty, integer == "0" || !integer.hasPrefix("0") else { return nil }
        rest = rest.dropFirst(integer.count)
        if rest.hasPrefix(".") {
            let fraction = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard !fraction.isEmpty else { return nil }
            rest = rest.dropFirst(1 + fraction.count)
        }
        if let e = rest.first, e == "e" || e == "E" {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == "+" || sign == "-" { rest = rest.dropFirst() }
            let exponent = rest.prefix { $0.isASCII && $0.isNumber }
            guard !exponent.isEmpty else { return nil }
            rest = rest.dropFirst(exponent.count)
        }
        let used = s.utf8.count - rest.utf8.count
        at += used
        return .number(String(s.prefix(used)))
    }

    /// At the opening quote. UTF-16 units, then a String; lone surrogates and invalid UTF-8
    /// become U+FFFD and are noted.
    mutating func string() -> String? {
        at += 1
        var units: [UInt16] = []
        var raw: [UInt8] = []
        func flush() {
            guard !raw.isEmpty else { return }
            let decoded = String(decoding: raw, as: UTF8.self)
            if !decoded.utf8.elementsEqual(raw) { why = why ?? "invalid UTF-8" }
            units += decoded.utf16
            raw = []
        }
        while let c = current {
            at += 1
            if c == UInt8(ascii: "\"") { flush(); return text(units) }
            if c < 0x20 { return nil }
            guard c == UInt8(ascii: "\\") else { raw.append(c); continue }
            flush()
            guard let e = current else { return nil }
            at += 1
            let simple: [UInt8: UInt16] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 12, 0x6E: 10, 0x72: 13, 0x74: 9]
            if let unit = simple[e] { units.append(unit); continue }
            guard e == UInt8(ascii: "u"), at + 4 <= bytes.count,
                  let unit = UInt16(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16),
                  bytes[at..<at + 4].allSatisfy({ FormEncoding.hexValue($0) != nil }) else { return nil }
            at += 4
            units.append(unit)
        }
        return nil
    }

    mutating func text(_ units: [UInt16]) -> String {
        var out = ""
        for scalar in UTF16.decode(units) {
            out.unicodeScalars.append(scalar ?? "\u{FFFD}")
            if scalar == nil { why = why ?? "a lone surrogate" }
        }
        return out
    }
}

extension UTF16 {
    /// Each scalar, or nil for a lone surrogate.
    static func decode(_ units: [UInt16]) -> [Unicode.Scalar?] {
        var out: [Unicode.Scalar?] = []
        var parser = Unicode.UTF16.ForwardParser()
        var iterator = units.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): out.append(UTF16.decode(encoded))
            case .error: out.append(nil)
            case .emptyInput: return out
            }
        }
    }
}
