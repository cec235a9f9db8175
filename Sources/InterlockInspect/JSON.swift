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
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }

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

    static func parse(_ bytes: [UInt8]) -> JSONNode? {
        var reader = JSONReader(bytes: bytes)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        return reader.index == bytes.count ? value : nil
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    static let maxDepth = 256

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func value(depth: Int) -> JSONNode? {
        guard depth < Self.maxDepth else { return nil }
        skipSpace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case 0x7B: // {
            index += 1
            var fields: [(String, JSONNode)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D { index += 1; return .object(fields) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x22, let key = string() else { return nil }
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
        default:
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) || [0x2D, 0x2B, 0x2E, 0x65, 0x45].contains(bytes[index]) {
                index += 1
            }
            guard index > start else { return nil }
            return .number(String(decoding: bytes[start..<index], as: UTF8.self))
        }
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
            case 0x22: return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard index < bytes.count else { return nil }
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
                    guard var scalar = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(scalar), index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 {
                        index += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: return nil
                }
            default:
                guard c >= 0x20 else { return nil }
                out.append(c)
            }
        }
        return nil
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
