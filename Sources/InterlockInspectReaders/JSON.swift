/// A small strict JSON reader: enough to find GraphQL documents in request bodies and a
/// credential behind a JSON pointer. Numbers are kept as their text.
enum JSONNode: Equatable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONNode])
    case object([(String, JSONNode)])

    static func == (a: JSONNode, b: JSONNode) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)), (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    subscript(key: String) -> JSONNode? {
        if case .object(let fields) = self { return fields.first { $0.0.utf8.elementsEqual(key.utf8) }?.1 }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }

    /// An object's keys, in order.
    var keys: [String] { if case .object(let fields) = self { return fields.map(\.0) }; return [] }

    /// A key as Go's encoding/json matches it to a field: without case, and with the Kelvin
    /// sign as `k` and the long s as `s` (`"QUERY"` and `"query"` name the same field there).
    static func foldedKey(_ key: String) -> String {
        String(String.UnicodeScalarView(key.lowercased().unicodeScalars.map { scalar in
            switch scalar { case "\u{212A}": "k"; case "\u{17F}": "s"; default: scalar }
        }))
    }

    /// RFC 6901: `/a/0/b`, with `~1` for '/' and `~0` for '~'. "" is the whole document.
    func pointer(_ text: String) -> JSONNode? {
        guard !text.isEmpty else { return self }
        guard text.hasPrefix("/") else { return nil }
        var node = self
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = raw.replacing("~1", with: "/").replacing("~0", with: "~")
            switch node {
            case .object(let fields):
                guard let next = fields.first(where: { $0.0 == token })?.1 else { return nil }
                node = next
            case .array(let items):
                guard let index = Int(token), index >= 0, index < items.count else { return nil }
                node = items[index]
            default:
                return nil
            }
        }
        return node
    }

    /// Why a text was not read. `ambiguous`: it is JSON to some parsers, but they disagree on
    /// what it says (a key twice, a lone surrogate, invalid UTF-8, NUL in a key).
    struct ParseError: Error, Equatable {
        var message: String
        var ambiguous = false
    }

    static func parse(_ bytes: [UInt8]) -> JSONNode? { try? read(bytes) }

    /// The one reading every conforming parser agrees on, or the reason there is none: besides
    /// syntax errors, whatever parsers resolve differently is refused (Python, Node and Go keep
    /// the last of two equal keys, other readers the first).
    static func read(_ bytes: [UInt8]) throws(ParseError) -> JSONNode {
        var reader = JSONReader(bytes: bytes)
        guard let value = reader.value(depth: 0) else {
            throw reader.problem ?? ParseError(message: "not valid JSON")
        }
        reader.skipSpace()
        guard reader.index == bytes.count else { throw ParseError(message: "data after the JSON value") }
        return value
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    /// Set where a read fails for a reason worth naming.
    var problem: JSONNode.ParseError?
    static let maxDepth = 256

    mutating func fail(_ message: String, ambiguous: Bool = false) -> JSONNode? {
        problem = JSONNode.ParseError(message: message, ambiguous: ambiguous)
        return nil
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value(depth: Int) -> JSONNode? {
        guard depth < Self.maxDepth else { return fail("nested deeper than \(Self.maxDepth) levels") }
        skipSpace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case 0x7B: // {
            index += 1
            var fields: [(String, JSONNode)] = []
            // Compared as bytes: parsers do not fold canonically equivalent keys (`K`, U+212A).
            var keys: Set<[UInt8]> = []
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D { index += 1; return .object(fields) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x22, let key = string() else { return nil }
                guard !key.utf8.contains(0) else { return fail("NUL in a key", ambiguous: true) }
                guard keys.insert(Array(key.utf8)).inserted else { return fail("duplicate \"\(JSONNode.shown(key))\" key", ambiguous: true) }
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x3A else { return nil }
                index += 1
                guard let item = value(depth: depth + 1) else { return nil }
                fields.append((key, item))
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == 0x2C { index += 1; continue }
                if bytes[index] == 0x7D { index += 1; return .object(fields) }
                return nil
            }
        case 0x5B: // [
            index += 1
            var items: [JSONNode] = []
            skipSpace()
            if index < bytes.count, bytes[index] == 0x5D { index += 1; return .array(items) }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == 0x2C { index += 1; continue }
                if bytes[index] == 0x5D { index += 1; return .array(items) }
                return nil
            }
        case 0x22:
            return string().map(JSONNode.string)
        case 0x74: return literal("true", .bool(true))
        case 0x66: return literal("false", .bool(false))
        case 0x6E: return literal("null", .null)
        case 0x2D, 0x30...0x39:
            return number()
        default:
            return fail("an unexpected byte 0x\(String(bytes[index], radix: 16, uppercase: true)) at offset \(index)")
        }
    }

    /// RFC 8259's grammar exactly: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() -> JSONNode? {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if index < bytes.count, bytes[index] == 0x2D { index += 1 }
        let integer = index
        guard digits() > 0, bytes[integer] != 0x30 || index == integer + 1 else { return fail("not a JSON number") }
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            guard digits() > 0 else { return fail("not a JSON number") }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            guard digits() > 0 else { return fail("not a JSON number") }
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    mutating func literal(_ word: String, _ node: JSONNode) -> JSONNode? {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { return nil }
        index += w.count
        return node
    }

    /// At the opening quote.
    mutating func string() -> String? {
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            switch c {
            case 0x22:
                let text = String(decoding: out, as: UTF8.self)
                // Invalid UTF-8 is replaced by some readers, refused or passed through by others.
                guard text.utf8.elementsEqual(out) else { problem = JSONNode.ParseError(message: "invalid UTF-8 in a string", ambiguous: true); return nil }
                return text
            case 0x5C:
                guard escape(into: &out) else { return nil }
            default:
                guard c >= 0x20 else { return nil }
                out.append(c)
            }
        }
        return nil
    }

    /// After a backslash: the escaped character appended to `out`; false if it is not a JSON escape.
    mutating func escape(into out: inout [UInt8]) -> Bool {
        guard index < bytes.count else { return false }
        let e = bytes[index]
        index += 1
        switch e {
        case 0x22, 0x5C, 0x2F: out.append(e)
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x6E: out.append(0x0A)
        case 0x72: out.append(0x0D)
        case 0x74: out.append(0x09)
        case 0x75:
            guard let scalar = escapedScalar() else { return false }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            problem = JSONNode.ParseError(message: "an escape JSON does not have")
            return false
        }
        return true
    }

    /// After `\u`: one scalar, from a surrogate pair if it takes two escapes. A lone surrogate
    /// is kept by Python and Node and replaced by others: refused.
    mutating func escapedScalar() -> Unicode.Scalar? {
        guard var scalar = hex4() else { problem = JSONNode.ParseError(message: "a \\u escape without four hex digits"); return nil }
        if (0xD800...0xDBFF).contains(scalar), index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 {
            index += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else {
                problem = JSONNode.ParseError(message: "a lone surrogate escape", ambiguous: true)
                return nil
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let u = Unicode.Scalar(scalar) else {
            problem = JSONNode.ParseError(message: "a lone surrogate escape", ambiguous: true)
            return nil
        }
        return u
    }

    mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            index += 1
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}

extension JSONNode {
    /// `bytes` with every JSON string escape decoded wherever it stands, valid JSON or not
    /// (`"\u0067hp_…"` reads `"ghp_…"`); escapes that decode to nothing are left as they are.
    /// Nil when there is no backslash. What a server's JSON reader would see, for a search.
    static func unescapingEverywhere(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(0x5C) else { return nil }
        var reader = JSONReader(bytes: bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        while reader.index < bytes.count {
            let c = bytes[reader.index]
            reader.index += 1
            guard c == 0x5C else { out.append(c); continue }
            let start = reader.index
            if !reader.escape(into: &out) {
                out.append(c)
                reader.index = start
            }
        }
        return out
    }

    /// A key as a refusal shows it: printable, at most 40 characters.
    static func shown(_ key: String) -> String {
        let printable = String(String.UnicodeScalarView(key.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
        return printable.count > 40 ? printable.prefix(40) + "…" : printable
    }
}

/// Where a brokered credential is read from.
public enum CredentialSource {
    /// The string (or number) at `pointer` in the JSON `text`.
    public static func jsonValue(_ text: String, pointer: String) -> String? {
        guard let node = JSONNode.parse(Array(text.utf8))?.pointer(pointer) else { return nil }
        switch node {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }
}
