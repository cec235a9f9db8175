/// A strict RFC 8259 reader: one value, optionally surrounded by whitespace; strings must be
/// valid UTF-8 with only JSON's escapes and paired surrogates; numbers must follow the grammar
/// (their text is kept). Errors carry the position where reading stopped.
public struct JSONReader {
    /// What each caller decides beyond the grammar.
    public struct Options: Sendable {
        /// What to do with a member name seen twice in one object.
        public enum DuplicateKeys: Sendable {
            /// Keep every member, in order (lookups choose which one counts).
            case keep
            /// Refuse the text: readers disagree on which of the two counts.
            case reject
        }

        /// Default `.keep`.
        public var duplicateKeys: DuplicateKeys
        /// Values nested inside this many arrays and objects are refused (the top-level value is
        /// at depth 0). Bounds the reader's recursion on hostile input.
        public var maxDepth: Int
        /// Refuse a member name holding U+0000 (C-string based readers cut the name there).
        public var rejectsNULInKeys: Bool
        /// Skip a UTF-8 byte order mark at the start.
        public var allowsByteOrderMark: Bool

        /// The defaults: duplicates kept, depth 512, NUL allowed in names, no byte order mark.
        public init(duplicateKeys: DuplicateKeys = .keep, maxDepth: Int = 512, rejectsNULInKeys: Bool = false,
                    allowsByteOrderMark: Bool = false) {
            self.duplicateKeys = duplicateKeys
            self.maxDepth = maxDepth
            self.rejectsNULInKeys = rejectsNULInKeys
            self.allowsByteOrderMark = allowsByteOrderMark
        }
    }

    private let bytes: [UInt8]
    private let options: Options
    private var position = 0
    /// Whether an error carries its line and column (false only where errors are dropped).
    private var locatesErrors = true

    private init(bytes: [UInt8], options: Options) {
        self.bytes = bytes
        self.options = options
    }

    /// The one JSON value `bytes` hold.
    public static func read(_ bytes: [UInt8], options: Options = Options()) throws(JSONReadError) -> JSONValue {
        var reader = JSONReader(bytes: bytes, options: options)
        if options.allowsByteOrderMark, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.position = 3 }
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.count else {
            throw reader.error(.trailingData, "unexpected \(reader.found) after the JSON value")
        }
        return value
    }

    /// The one JSON value `text` holds.
    public static func read(_ text: String, options: Options = Options()) throws(JSONReadError) -> JSONValue {
        try read(Array(text.utf8), options: options)
    }

    /// Decodes the escape sequence starting at `index`, just after a backslash in `bytes`, as
    /// it would be decoded inside a string: appends its UTF-8 to `out` and returns the index
    /// after it, or returns nil (leaving `out` unchanged) when it is not a valid JSON escape.
    /// A `\u` high surrogate takes the `\u` low surrogate after it.
    public static func decodeEscape(in bytes: [UInt8], at index: Int, into out: inout [UInt8]) -> Int? {
        var reader = JSONReader(bytes: bytes, options: Options())
        reader.position = index
        // The error is dropped: locating it (a scan from the start) would make a body full of
        // backslashes quadratic to read (the found-token check decodes escapes anywhere).
        reader.locatesErrors = false
        var decoded: [UInt8] = []
        guard (try? reader.escape(into: &decoded)) != nil else { return nil }
        out += decoded
        return reader.position
    }

    private func error(_ kind: JSONReadError.Kind, _ message: String) -> JSONReadError {
        guard locatesErrors else { return JSONReadError(kind: kind, message: message, offset: position, line: 0, column: 0) }
        var line = 1
        var lineStart = 0
        for i in 0..<min(position, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSONReadError(kind: kind, message: message, offset: position, line: line, column: position - lineStart + 1)
    }

    /// The byte at the current position, for messages.
    private var found: String {
        guard position < bytes.count else { return "end of file" }
        let byte = bytes[position]
        if byte >= 0x20 && byte < 0x7F { return "'" + String(UnicodeScalar(byte)) + "'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }

    private mutating func value(depth: Int) throws(JSONReadError) -> JSONValue {
        guard depth < options.maxDepth else { throw error(.tooDeep, "nesting too deep") }
        skipWhitespace()
        guard position < bytes.count else { throw error(.expectedValue, "expected a value, found end of file") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error(.expectedValue, "expected a value, found \(found)")
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(JSONReadError) -> JSONValue {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count, bytes[position..<position + utf8.count].elementsEqual(utf8) else {
            throw error(.invalidLiteral, "expected a value, found \(found)")
        }
        position += utf8.count
        return value
    }

    private mutating func object(depth: Int) throws(JSONReadError) -> JSONValue {
        position += 1
        var members: [(String, JSONValue)] = []
        // Compared as bytes: readers do not fold canonically equivalent names.
        var names: Set<[UInt8]> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error(.expectedMemberName, "expected a member name in quotes, found \(found)")
            }
            let key = try string()
            if options.rejectsNULInKeys, key.utf8.contains(0) { throw error(.nulInKey, "NUL in a member name") }
            if options.duplicateKeys == .reject, !names.insert(Array(key.utf8)).inserted {
                throw error(.duplicateKey(key), "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error(.expectedColon, "expected ':' after \"\(key)\", found \(found)")
            }
            position += 1
            members.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            guard position < bytes.count else { throw error(.unterminated, "unterminated object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            throw error(.expectedCommaOrEnd, "expected ',' or '}' in an object, found \(found)")
        }
    }

    private mutating func array(depth: Int) throws(JSONReadError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error(.unterminated, "unterminated array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            throw error(.expectedCommaOrEnd, "expected ',' or ']' in an array, found \(found)")
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as written.
    private mutating func number() throws(JSONReadError) -> JSONValue {
        let start = position
        func digits() -> Int {
            let begin = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - begin
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        guard digits() > 0 else { throw error(.invalidNumber, "invalid number") }
        if bytes[integerStart] == UInt8(ascii: "0"), position - integerStart > 1 { throw error(.invalidNumber, "invalid number (leading zero)") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error(.invalidNumber, "invalid number") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error(.invalidNumber, "invalid number") }
        }
        return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// At the opening quote.
    private mutating func string() throws(JSONReadError) -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw error(.unterminatedString, "unterminated string") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw error(.invalidUTF8, "the string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0x00..<0x20:
                throw error(.controlCharacter, "control character in a string")
            default:
                out.append(byte)
            }
        }
    }

    /// After a backslash: the escaped character's UTF-8 appended to `out`.
    private mutating func escape(into out: inout [UInt8]) throws(JSONReadError) {
        guard position < bytes.count else { throw error(.unterminatedString, "unterminated string") }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard var scalar = hex4() else { throw error(.invalidUnicodeEscape, "invalid \\u escape") }
            if scalar >= 0xD800, scalar < 0xDC00 {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error(.unpairedSurrogate, "unpaired surrogate in a \\u escape")
                }
                position += 2
                guard let low = hex4() else { throw error(.unpairedSurrogate, "invalid \\u escape") }
                guard low >= 0xDC00, low < 0xE000 else { throw error(.unpairedSurrogate, "unpaired surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error(.unpairedSurrogate, "invalid \\u escape") }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw error(.invalidEscape, "invalid escape sequence '\\\(String(UnicodeScalar(escape)))'")
        }
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
