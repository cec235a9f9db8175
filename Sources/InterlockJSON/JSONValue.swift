/// A JSON value. Object members keep their document order (duplicates included, unless the
/// reader refused them), and a number keeps its literal text, so a value read and written back
/// is unchanged and no precision is lost before a caller picks the integer or floating type
/// it needs.
public indirect enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// The number's text as written (RFC 8259 grammar when it was read).
    case number(String)
    /// A string, its escapes decoded.
    case string(String)
    /// Elements in document order.
    case array([JSONValue])
    /// Members in document order.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// A number holding `value`.
    public static func int(_ value: Int64) -> JSONValue { .number(String(value)) }

    /// The first member named `key`. Names are compared by their UTF-8 bytes, as RFC 8259
    /// compares them: canonically equivalent spellings (`K` and U+212A) are different names.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0.utf8.elementsEqual(key.utf8) }?.1
    }

    /// The last member named `key`: the one most JSON readers keep when a name appears twice.
    public subscript(last key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0.utf8.elementsEqual(key.utf8) }?.1
    }

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The boolean, if this is one.
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// The members in order, if this is an object.
    public var objectValue: [(String, JSONValue)]? { if case .object(let m) = self { return m }; return nil }

    /// An object's member names, in order; empty for anything else.
    public var keys: [String] { objectValue?.map(\.0) ?? [] }

    /// The number as an Int64: exact for an integer literal; a fraction or exponent is read as
    /// a Double and truncated toward zero. Nil when it does not fit (or is not a number).
    public var intValue: Int64? {
        guard case .number(let text) = self else { return nil }
        if let n = Int64(text) { return n }
        guard let d = Double(text) else { return nil }
        return Int64(exactly: d.rounded(.towardZero))
    }

    /// A non-negative integer written without fraction or exponent that fits in 64 bits.
    public var unsignedIntegerValue: UInt64? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }

    /// The number as the nearest Double.
    public var doubleValue: Double? { if case .number(let text) = self { return Double(text) }; return nil }

    /// The kind of value, with its article, for messages ("expected a string, found an array").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value at an RFC 6901 pointer (`/a/0/b`, `~1` for '/', `~0` for '~'); "" is the whole
    /// value. Within an object the first member of that name is taken.
    public func pointer(_ text: String) -> JSONValue? {
        guard !text.isEmpty else { return self }
        guard text.hasPrefix("/") else { return nil }
        var value = self
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = String(raw.replacing("~1", with: "/").replacing("~0", with: "~"))
            switch value {
            case .object:
                guard let next = value[token] else { return nil }
                value = next
            case .array(let items):
                guard let index = Int(token), index >= 0, index < items.count else { return nil }
                value = items[index]
            default:
                return nil
            }
        }
        return value
    }

    /// Compact JSON text: no whitespace, members in order.
    public func encoded() -> String { JSONWriter().write(self) }
}
