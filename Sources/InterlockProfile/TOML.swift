// A small TOML 1.0 reader whose values remember where they came from.
//
// We write our own instead of using a library because every value must carry its source line
// and its full dotted key for error messages. Supported: comments, bare/quoted/dotted keys,
// `[table]`, `[a.b]`, `[[array.of.tables]]`, basic and literal strings (single- and multi-line,
// all escapes of TOML 1.0), integers (decimal with `_`, hex, octal, binary), floats (including
// `inf` and `nan`), booleans, arrays (multi-line, trailing comma, comments inside) and inline
// tables. Dates and times are rejected ("dates are not supported"). Duplicate keys and
// redefined tables are errors.
//
// The scanner works on the UTF-8 bytes of the document; it never traps on input.

/// A TOML syntax or structure error: the file, the 1-based line and what is wrong.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: MESSAGE`
    public var description: String { "\(file):\(line): \(message)" }
}

/// One value of a TOML document, with the line it starts on and its full key path.
public struct TOMLValue: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    public var storage: Storage
    /// 1-based line where the value (or the table's header) starts.
    public var line: Int
    /// Key components from the document root. Elements of an array share the array's path.
    public var path: [String]

    public init(_ storage: Storage, line: Int, path: [String]) {
        self.storage = storage
        self.line = line
        self.path = path
    }

    /// The full dotted key, e.g. `env.staging.limits.memory` (components that are not bare keys
    /// are quoted: `env."my env".limits`).
    public var key: String { TOMLKey.render(path) }

    /// `string`, `integer`, `float`, `boolean`, `array` or `table`.
    public var typeName: String {
        switch storage {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }

    public var string: String? { if case .string(let v) = storage { return v } else { return nil } }
    public var integer: Int64? { if case .integer(let v) = storage { return v } else { return nil } }
    public var float: Double? { if case .float(let v) = storage { return v } else { return nil } }
    public var boolean: Bool? { if case .boolean(let v) = storage { return v } else { return nil } }
    public var array: [TOMLValue]? { if case .array(let v) = storage { return v } else { return nil } }
    public var table: TOMLTable? { if case .table(let v) = storage { return v } else { return nil } }
}

/// A table: keys in document order, each with its value.
public struct TOMLTable: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    public init() {}

    public subscript(key: String) -> TOMLValue? { values[key] }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Entries in document order.
    public var entries: [(key: String, value: TOMLValue)] {
        keys.compactMap { key in values[key].map { (key, $0) } }
    }

    mutating func append(_ key: String, _ value: TOMLValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }
}

public enum TOMLKey {
    /// Whether `key` can be written without quotes.
    public static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte)
    }

    /// Renders a key path as TOML would write it: `a.b."c d"`.
    public static func render(_ path: [String]) -> String {
        path.map { isBare($0) ? $0 : TOMLRender.basicString($0) }.joined(separator: ".")
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }
}

enum TOMLRender {
    /// A TOML basic string literal (also valid JSON) with everything that needs it escaped.
    static func basicString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

public enum TOML {
    /// Parses a whole document. `file` only labels errors.
    public static func parse(_ text: String, file: String) throws(TOMLError) -> TOMLTable {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses a document given as raw bytes; they must be UTF-8.
    public static func parse(bytes: [UInt8], file: String) throws(TOMLError) -> TOMLTable {
        if String(validating: bytes, as: UTF8.self) == nil {
            throw TOMLError(file: file, line: firstInvalidUTF8Line(bytes), message: "the file is not valid UTF-8")
        }
        var parser = TOMLParser(bytes: bytes, file: file)
        let root = try parser.parseDocument()
        return root.freeze()
    }

    private static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }
}

// MARK: - Building

/// Mutable tables while the document is read; frozen into `TOMLTable` at the end.
private final class TableNode {
    enum State {
        /// Created on the way to a deeper `[a.b.c]` header; `[a]` may still define it.
        case implicit
        /// Defined by a `[header]`, `[[header]]`, or the document root.
        case defined
        /// Created by a dotted key (`a.b = 1`); only further dotted keys may add to it.
        case dotted
        /// An inline table being read; sealed once read.
        case inline
    }

    enum Child {
        case value(TOMLValue)
        case table(TableNode)
        case tableArray(TableArrayNode)
    }

    var state: State
    let line: Int
    let path: [String]
    var keys: [String] = []
    var children: [String: Child] = [:]

    init(state: State, line: Int, path: [String]) {
        self.state = state
        self.line = line
        self.path = path
    }

    func set(_ key: String, _ child: Child) {
        if children.updateValue(child, forKey: key) == nil { keys.append(key) }
    }

    func freeze() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            guard let child = children[key] else { continue }
            switch child {
            case .value(let value):
                table.append(key, value)
            case .table(let node):
                table.append(key, TOMLValue(.table(node.freeze()), line: node.line, path: node.path))
            case .tableArray(let array):
                let elements = array.elements.map { TOMLValue(.table($0.freeze()), line: $0.line, path: $0.path) }
                table.append(key, TOMLValue(.array(elements), line: array.line, path: array.path))
            }
        }
        return table
    }
}

private final class TableArrayNode {
    let line: Int
    let path: [String]
    var elements: [TableNode] = []
    init(line: Int, path: [String]) {
        self.line = line
        self.path = path
    }
}

// MARK: - Scanner

private enum Byte {
    static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, hash: UInt8 = 0x23, apostrophe: UInt8 = 0x27
    static let plus: UInt8 = 0x2B, comma: UInt8 = 0x2C, minus: UInt8 = 0x2D, dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39, colon: UInt8 = 0x3A, equals: UInt8 = 0x3D
    static let openBracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C, closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F, openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D, delete: UInt8 = 0x7F

    static func isDigit(_ c: UInt8) -> Bool { c >= zero && c <= nine }
    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }
    /// Control characters TOML forbids in strings and comments (tab is allowed).
    static func isForbiddenControl(_ c: UInt8) -> Bool { (c < 0x20 && c != tab) || c == delete }
}

private struct TOMLParser {
    let bytes: [UInt8]
    let file: String
    var index = 0
    var line = 1
    /// Arrays and inline tables currently open; bounded so that hostile input cannot exhaust the stack.
    var depth = 0
    static let maximumDepth = 100

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        // A UTF-8 byte order mark is allowed and ignored.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    // MARK: Basics

    var atEnd: Bool { index >= bytes.count }

    func peek(_ offset: Int = 0) -> UInt8? {
        let i = index + offset
        return i < bytes.count ? bytes[i] : nil
    }

    func error(_ message: String, line: Int? = nil) -> TOMLError {
        TOMLError(file: file, line: line ?? self.line, message: message)
    }

    /// How the byte at the cursor reads in a message: `'x'`, `end of line`, `end of file`.
    func describeCurrent() -> String {
        guard let c = peek() else { return "end of file" }
        if c == Byte.newline || c == Byte.carriageReturn { return "end of line" }
        if c < 0x20 || c == Byte.delete { return "control character U+" + TOMLRender.hex4(UInt32(c)) }
        // Show the whole scalar, not one byte of it.
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + String(decoding: bytes[index..<end], as: UTF8.self) + "'"
    }

    mutating func skipWhitespace() {
        while let c = peek(), c == Byte.space || c == Byte.tab { index += 1 }
    }

    /// Consumes a newline (LF or CRLF) if one is at the cursor.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        guard let c = peek() else { return false }
        if c == Byte.newline {
            index += 1
            line += 1
            return true
        }
        if c == Byte.carriageReturn {
            guard peek(1) == Byte.newline else { throw error("carriage return not followed by a newline") }
            index += 2
            line += 1
            return true
        }
        return false
    }

    /// At `#`: skips the comment up to (not including) the end of the line.
    mutating func skipComment() throws(TOMLError) {
        index += 1
        while let c = peek(), c != Byte.newline {
            if c == Byte.carriageReturn, peek(1) == Byte.newline { return }
            if Byte.isForbiddenControl(c) {
                throw error("control character U+\(TOMLRender.hex4(UInt32(c))) is not allowed in comments")
            }
            index += 1
        }
    }

    /// Skips whitespace, newlines and comments (inside arrays).
    mutating func skipBlank() throws(TOMLError) {
        while true {
            skipWhitespace()
            if peek() == Byte.hash { try skipComment() }
            if try !consumeNewline() { return }
        }
    }

    /// After a key/value pair or a header: optional whitespace and comment, then a newline or the end.
    mutating func expectEndOfLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == Byte.hash { try skipComment() }
        if atEnd { return }
        if try consumeNewline() { return }
        throw error("expected the end of the line, found \(describeCurrent())")
    }

    // MARK: Document

    mutating func parseDocument() throws(TOMLError) -> TableNode {
        let root = TableNode(state: .defined, line: 1, path: [])
        var current = root
        while true {
            skipWhitespace()
            guard let c = peek() else { break }
            if c == Byte.hash {
                try skipComment()
                try expectEndOfLine()
            } else if try consumeNewline() {
                continue
            } else if c == Byte.openBracket {
                current = try parseHeader(root: root)
                try expectEndOfLine()
            } else {
                try parseKeyValue(into: current)
                try expectEndOfLine()
            }
        }
        return root
    }

    /// `[a.b]` or `[[a.b]]`: returns the table that following key/value pairs go into.
    mutating func parseHeader(root: TableNode) throws(TOMLError) -> TableNode {
        let headerLine = line
        let isArray = peek(1) == Byte.openBracket
        index += isArray ? 2 : 1
        skipWhitespace()
        let keys = try parseKey()
        skipWhitespace()
        let closing = isArray ? "]]" : "]"
        for _ in 0..<(isArray ? 2 : 1) {
            guard peek() == Byte.closeBracket else {
                throw error("expected '\(closing)' to close the table header, found \(describeCurrent())")
            }
            index += 1
        }

        // Walk to the parent of the last key, creating implicit tables on the way.
        var table = root
        var path: [String] = []
        for key in keys.dropLast() {
            path.append(key)
            switch table.children[key] {
            case nil:
                let node = TableNode(state: .implicit, line: headerLine, path: path)
                table.set(key, .table(node))
                table = node
            case .table(let node)?:
                table = node
            case .tableArray(let array)?:
                guard let last = array.elements.last else { throw error("internal: empty array of tables") }
                table = last
            case .value(let value)?:
                throw error(cannotExtend(value, path: path), line: headerLine)
            }
        }
        guard let last = keys.last else { throw error("expected a key") }
        path.append(last)
        let name = TOMLKey.render(path)

        if isArray {
            switch table.children[last] {
            case nil:
                let array = TableArrayNode(line: headerLine, path: path)
                let element = TableNode(state: .defined, line: headerLine, path: path)
                array.elements.append(element)
                table.set(last, .tableArray(array))
                return element
            case .tableArray(let array)?:
                let element = TableNode(state: .defined, line: headerLine, path: path)
                array.elements.append(element)
                return element
            case .table?:
                throw error("cannot define array of tables '\(name)': table '\(name)' is already defined", line: headerLine)
            case .value(let value)?:
                throw error("cannot define array of tables '\(name)': key '\(name)' is already defined as \(article(value.typeName))", line: headerLine)
            }
        }
        switch table.children[last] {
        case nil:
            let node = TableNode(state: .defined, line: headerLine, path: path)
            table.set(last, .table(node))
            return node
        case .table(let node)?:
            guard node.state == .implicit else { throw error("table '\(name)' is already defined", line: headerLine) }
            node.state = .defined
            return node
        case .tableArray?:
            throw error("table '\(name)' is already defined as an array of tables", line: headerLine)
        case .value(let value)?:
            if value.table != nil { throw error("table '\(name)' is already defined", line: headerLine) }
            throw error("cannot define table '\(name)': key '\(name)' is already defined as \(article(value.typeName))", line: headerLine)
        }
    }

    func cannotExtend(_ value: TOMLValue, path: [String]) -> String {
        let name = TOMLKey.render(path)
        if value.table != nil { return "cannot add to inline table '\(name)'" }
        return "cannot use '\(name)' as a table: it is already defined as \(article(value.typeName))"
    }

    func article(_ typeName: String) -> String {
        (typeName.first.map { "aeiou".contains($0) } ?? false) ? "an \(typeName)" : "a \(typeName)"
    }

    /// `key = value` into `table` (dotted keys create tables below it).
    mutating func parseKeyValue(into table: TableNode) throws(TOMLError) {
        let keyLine = line
        let keys = try parseKey()
        skipWhitespace()
        guard peek() == Byte.equals else {
            throw error("expected '=' after key '\(TOMLKey.render(table.path + keys))', found \(describeCurrent())")
        }
        index += 1
        skipWhitespace()
        let value = try parseValue(path: table.path + keys)

        var target = table
        var path = table.path
        for key in keys.dropLast() {
            path.append(key)
            switch target.children[key] {
            case nil:
                let node = TableNode(state: .dotted, line: keyLine, path: path)
                target.set(key, .table(node))
                target = node
            case .table(let node)?:
                guard node.state == .dotted else {
                    throw error("cannot add to table '\(TOMLKey.render(path))' with dotted keys: it is already defined", line: keyLine)
                }
                target = node
            case .tableArray?:
                throw error("cannot add to array of tables '\(TOMLKey.render(path))' with dotted keys", line: keyLine)
            case .value(let existing)?:
                throw error(cannotExtend(existing, path: path), line: keyLine)
            }
        }
        guard let last = keys.last else { throw error("expected a key") }
        guard target.children[last] == nil else {
            throw error("duplicate key '\(TOMLKey.render(path + [last]))'", line: keyLine)
        }
        target.set(last, .value(value))
    }

    /// A possibly dotted key: `a`, `"a b".c`, `a . 'b'`.
    mutating func parseKey() throws(TOMLError) -> [String] {
        var keys: [String] = []
        while true {
            skipWhitespace()
            guard let c = peek() else { throw error("expected a key, found end of file") }
            if c == Byte.quote {
                if peek(1) == Byte.quote, peek(2) == Byte.quote { throw error("multi-line strings cannot be keys") }
                keys.append(try parseBasicString())
            } else if c == Byte.apostrophe {
                if peek(1) == Byte.apostrophe, peek(2) == Byte.apostrophe { throw error("multi-line strings cannot be keys") }
                keys.append(try parseLiteralString())
            } else if TOMLKey.isBareKeyByte(c) {
                let start = index
                while let b = peek(), TOMLKey.isBareKeyByte(b) { index += 1 }
                keys.append(String(decoding: bytes[start..<index], as: UTF8.self))
            } else {
                throw error("expected a key, found \(describeCurrent())")
            }
            skipWhitespace()
            guard peek() == Byte.dot else { return keys }
            index += 1
        }
    }

    // MARK: Values

    mutating func parseValue(path: [String]) throws(TOMLError) -> TOMLValue {
        let startLine = line
        guard let c = peek() else { throw error("expected a value, found end of file") }
        let storage: TOMLValue.Storage
        switch c {
        case Byte.quote:
            if peek(1) == Byte.quote, peek(2) == Byte.quote {
                storage = .string(try parseMultiLineString(delimiter: Byte.quote))
            } else {
                storage = .string(try parseBasicString())
            }
        case Byte.apostrophe:
            if peek(1) == Byte.apostrophe, peek(2) == Byte.apostrophe {
                storage = .string(try parseMultiLineString(delimiter: Byte.apostrophe))
            } else {
                storage = .string(try parseLiteralString())
            }
        case Byte.openBracket, Byte.openBrace:
            guard depth < TOMLParser.maximumDepth else {
                throw error("arrays and inline tables are nested more than \(TOMLParser.maximumDepth) levels deep")
            }
            depth += 1
            defer { depth -= 1 }
            storage = c == Byte.openBracket ? .array(try parseArray(path: path)) : .table(try parseInlineTable(path: path))
        default:
            storage = try parseBareValue()
        }
        return TOMLValue(storage, line: startLine, path: path)
    }

    /// Booleans, numbers, and the dates we refuse.
    mutating func parseBareValue() throws(TOMLError) -> TOMLValue.Storage {
        let start = index
        while let c = peek(), TOMLKey.isBareKeyByte(c) || c == Byte.plus || c == Byte.dot || c == Byte.colon {
            index += 1
        }
        guard index > start else { throw error("expected a value, found \(describeCurrent())") }
        let token = Array(bytes[start..<index])
        let text = String(decoding: token, as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if looksLikeDate(token) { throw error("dates are not supported") }
        guard let first = token.first, Byte.isDigit(first) || first == Byte.plus || first == Byte.minus else {
            throw error("invalid value '\(text)' (strings must be quoted)")
        }
        return try parseNumber(token, text: text)
    }

    /// `1979-05-27…` or `07:32:00…`.
    func looksLikeDate(_ token: [UInt8]) -> Bool {
        var digits = 0
        while digits < token.count, Byte.isDigit(token[digits]) { digits += 1 }
        guard digits < token.count else { return false }
        return (digits == 4 && token[digits] == Byte.minus) || (digits == 2 && token[digits] == Byte.colon)
    }

    func parseNumber(_ token: [UInt8], text: String) throws(TOMLError) -> TOMLValue.Storage {
        var body = token[...]
        var negative = false
        var signed = false
        if let first = body.first, first == Byte.plus || first == Byte.minus {
            negative = first == Byte.minus
            signed = true
            body = body.dropFirst()
        }
        let invalid = error("invalid number '\(text)'")

        // 0x…, 0o…, 0b…
        if body.count >= 2, body[body.startIndex] == Byte.zero {
            let radix: UInt64?
            switch body[body.startIndex + 1] {
            case 0x78: radix = 16
            case 0x6F: radix = 8
            case 0x62: radix = 2
            default: radix = nil
            }
            if let radix {
                if signed { throw error("invalid number '\(text)': hexadecimal, octal and binary integers cannot have a sign") }
                let digits = body.dropFirst(2)
                guard validUnderscores(digits) else { throw invalid }
                var value: UInt64 = 0
                for c in digits where c != Byte.underscore {
                    guard let d = Byte.hexValue(c), UInt64(d) < radix else { throw invalid }
                    let (m, o1) = value.multipliedReportingOverflow(by: radix)
                    let (s, o2) = m.addingReportingOverflow(UInt64(d))
                    guard !o1, !o2, s <= UInt64(Int64.max) else { throw error("integer '\(text)' is out of range") }
                    value = s
                }
                return .integer(Int64(value))
            }
        }

        guard body.allSatisfy({ Byte.isDigit($0) || $0 == Byte.underscore || $0 == Byte.dot || $0 == 0x65 || $0 == 0x45 || $0 == Byte.plus || $0 == Byte.minus }) else {
            throw error("invalid value '\(text)' (strings must be quoted)")
        }
        let isFloat = body.contains(Byte.dot) || body.contains(0x65) || body.contains(0x45)
        if !isFloat {
            guard validUnderscores(body), !body.contains(Byte.plus), !body.contains(Byte.minus) else { throw invalid }
            let digits = body.filter { $0 != Byte.underscore }
            if digits.count > 1, digits.first == Byte.zero { throw error("invalid number '\(text)': leading zeros are not allowed") }
            var magnitude: UInt64 = 0
            for c in digits {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(c - Byte.zero))
                guard !o1, !o2 else { throw error("integer '\(text)' is out of range") }
                magnitude = s
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw error("integer '\(text)' is out of range") }
                return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
            guard magnitude <= UInt64(Int64.max) else { throw error("integer '\(text)' is out of range") }
            return .integer(Int64(magnitude))
        }

        // Float: integer part, optional fraction, optional exponent; at least one of the last two.
        var i = body.startIndex
        func digitRun(_ allowLeadingZero: Bool) -> ArraySlice<UInt8>? {
            let start = i
            while i < body.endIndex, Byte.isDigit(body[i]) || body[i] == Byte.underscore { i += 1 }
            let run = body[start..<i]
            guard !run.isEmpty, validUnderscores(run) else { return nil }
            if !allowLeadingZero, run.count > 1, run.first == Byte.zero { return nil }
            return run
        }
        guard digitRun(false) != nil else { throw invalid }
        if i < body.endIndex, body[i] == Byte.dot {
            i += 1
            guard digitRun(true) != nil else { throw invalid }
        }
        if i < body.endIndex, body[i] == 0x65 || body[i] == 0x45 {
            i += 1
            if i < body.endIndex, body[i] == Byte.plus || body[i] == Byte.minus { i += 1 }
            guard digitRun(true) != nil else { throw invalid }
        }
        guard i == body.endIndex else { throw invalid }
        let cleaned = String(decoding: token.filter { $0 != Byte.underscore }, as: UTF8.self)
        guard let value = Double(cleaned) else { throw invalid }
        guard value.isFinite else { throw error("float '\(text)' is out of range") }
        return .float(value)
    }

    /// Every `_` sits between two digits.
    func validUnderscores(_ run: ArraySlice<UInt8>) -> Bool {
        guard !run.isEmpty else { return false }
        var previousWasDigit = false
        for c in run {
            if c == Byte.underscore {
                if !previousWasDigit { return false }
                previousWasDigit = false
            } else {
                previousWasDigit = true
            }
        }
        return previousWasDigit
    }

    /// `"…"` on one line.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let startLine = line
        index += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek(), c != Byte.newline, c != Byte.carriageReturn else {
                throw error("unterminated string", line: startLine)
            }
            if c == Byte.quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == Byte.backslash {
                try parseEscape(into: &out)
                continue
            }
            if Byte.isForbiddenControl(c) { throw controlCharacterError(c) }
            out.append(c)
            index += 1
        }
    }

    /// `'…'` on one line, no escapes.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let startLine = line
        index += 1
        let start = index
        while true {
            guard let c = peek(), c != Byte.newline, c != Byte.carriageReturn else {
                throw error("unterminated string", line: startLine)
            }
            if c == Byte.apostrophe {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if Byte.isForbiddenControl(c) { throw controlCharacterError(c) }
            index += 1
        }
    }

    /// `"""…"""` or `'''…'''`.
    mutating func parseMultiLineString(delimiter: UInt8) throws(TOMLError) -> String {
        let startLine = line
        let escapes = delimiter == Byte.quote
        index += 3
        // A newline right after the opening delimiter is trimmed.
        _ = try consumeNewline()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated multi-line string", line: startLine) }
            if c == delimiter {
                var run = 0
                while peek(run) == delimiter { run += 1 }
                if run < 3 {
                    out.append(contentsOf: repeatElement(delimiter, count: run))
                    index += run
                    continue
                }
                // Up to two delimiter characters may end the content right before the closing three.
                guard run <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                out.append(contentsOf: repeatElement(delimiter, count: run - 3))
                index += run
                return String(decoding: out, as: UTF8.self)
            }
            if c == Byte.newline || c == Byte.carriageReturn {
                _ = try consumeNewline()
                out.append(Byte.newline)
                continue
            }
            if escapes, c == Byte.backslash {
                // A backslash ending a line swallows the newline and the whitespace that follows.
                var look = 1
                while let w = peek(look), w == Byte.space || w == Byte.tab { look += 1 }
                if let n = peek(look), n == Byte.newline || n == Byte.carriageReturn {
                    index += look
                    while true {
                        skipWhitespace()
                        if try !consumeNewline() { break }
                    }
                    continue
                }
                try parseEscape(into: &out)
                continue
            }
            if Byte.isForbiddenControl(c) { throw controlCharacterError(c) }
            out.append(c)
            index += 1
        }
    }

    func controlCharacterError(_ c: UInt8) -> TOMLError {
        error("control character U+\(TOMLRender.hex4(UInt32(c))) must be escaped in strings")
    }

    /// At `\`: appends the escaped character's UTF-8.
    mutating func parseEscape(into out: inout [UInt8]) throws(TOMLError) {
        guard let c = peek(1) else { throw error("unterminated string") }
        index += 2
        switch c {
        case 0x62: out.append(0x08)  // \b
        case 0x74: out.append(Byte.tab)  // \t
        case 0x6E: out.append(Byte.newline)  // \n
        case 0x66: out.append(0x0C)  // \f
        case 0x72: out.append(Byte.carriageReturn)  // \r
        case Byte.quote: out.append(Byte.quote)
        case Byte.backslash: out.append(Byte.backslash)
        case 0x75, 0x55:  // \uXXXX, \UXXXXXXXX
            let count = c == 0x75 ? 4 : 8
            var value: UInt32 = 0
            for k in 0..<count {
                guard let h = peek(k).flatMap(Byte.hexValue) else {
                    throw error("invalid unicode escape: expected \(count) hexadecimal digits after '\\\(c == 0x75 ? "u" : "U")'")
                }
                value = value << 4 | h
            }
            index += count
            guard let scalar = Unicode.Scalar(value) else {
                throw error("invalid unicode escape: U+\(TOMLRender.hex4(value)) is not a unicode scalar value")
            }
            UTF8.encode(scalar) { out.append($0) }
        default:
            index -= 1
            if c == Byte.newline || c == Byte.carriageReturn { throw error("invalid escape sequence: '\\' at the end of a line") }
            throw error("invalid escape sequence '\\\(describeCurrent().trimmingQuotes)'")
        }
    }

    /// `[ v, v, … ]`, possibly over several lines, with comments and a trailing comma.
    mutating func parseArray(path: [String]) throws(TOMLError) -> [TOMLValue] {
        let startLine = line
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlank()
            guard let c = peek() else { throw error("unterminated array (opened on line \(startLine))") }
            if c == Byte.closeBracket {
                index += 1
                return elements
            }
            elements.append(try parseValue(path: path))
            try skipBlank()
            guard let next = peek() else { throw error("unterminated array (opened on line \(startLine))") }
            if next == Byte.comma {
                index += 1
            } else if next == Byte.closeBracket {
                index += 1
                return elements
            } else {
                throw error("expected ',' or ']' in array, found \(describeCurrent())")
            }
        }
    }

    /// `{ k = v, a.b = v }` on one line.
    mutating func parseInlineTable(path: [String]) throws(TOMLError) -> TOMLTable {
        index += 1
        let node = TableNode(state: .inline, line: line, path: path)
        skipWhitespace()
        if peek() == Byte.closeBrace {
            index += 1
            return node.freeze()
        }
        while true {
            skipWhitespace()
            if peek() == Byte.newline || peek() == Byte.carriageReturn {
                throw error("newlines are not allowed in inline tables")
            }
            try parseKeyValue(into: node)
            skipWhitespace()
            guard let c = peek() else { throw error("unterminated inline table") }
            if c == Byte.comma {
                index += 1
                skipWhitespace()
                if peek() == Byte.closeBrace { throw error("trailing commas are not allowed in inline tables") }
            } else if c == Byte.closeBrace {
                index += 1
                return node.freeze()
            } else if c == Byte.newline || c == Byte.carriageReturn {
                throw error("newlines are not allowed in inline tables")
            } else {
                throw error("expected ',' or '}' in inline table, found \(describeCurrent())")
            }
        }
    }
}

private extension String {
    /// `'x'` → `x`.
    var trimmingQuotes: String {
        guard count >= 2, first == "'", last == "'" else { return self }
        return String(dropFirst().dropLast())
    }
}
