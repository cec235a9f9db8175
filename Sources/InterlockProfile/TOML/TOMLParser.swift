/// One pass over a document's UTF-8 bytes, building the tables as it goes.
struct TOMLParser {
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
        if c == TOMLByte.newline || c == TOMLByte.carriageReturn { return "end of line" }
        if c < 0x20 || c == TOMLByte.delete { return "control character U+" + TOMLRender.hex4(UInt32(c)) }
        // Show the whole scalar, not one byte of it.
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + String(decoding: bytes[index..<end], as: UTF8.self) + "'"
    }

    mutating func skipWhitespace() {
        while let c = peek(), c == TOMLByte.space || c == TOMLByte.tab { index += 1 }
    }

    /// Consumes a newline (LF or CRLF) if one is at the cursor.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        guard let c = peek() else { return false }
        if c == TOMLByte.newline {
            index += 1
            line += 1
            return true
        }
        if c == TOMLByte.carriageReturn {
            guard peek(1) == TOMLByte.newline else { throw error("carriage return not followed by a newline") }
            index += 2
            line += 1
            return true
        }
        return false
    }

    /// At `#`: skips the comment up to (not including) the end of the line.
    mutating func skipComment() throws(TOMLError) {
        index += 1
        while let c = peek(), c != TOMLByte.newline {
            if c == TOMLByte.carriageReturn, peek(1) == TOMLByte.newline { return }
            if TOMLByte.isForbiddenControl(c) {
                throw error("control character U+\(TOMLRender.hex4(UInt32(c))) is not allowed in comments")
            }
            index += 1
        }
    }

    /// Skips whitespace, newlines and comments (inside arrays).
    mutating func skipBlank() throws(TOMLError) {
        while true {
            skipWhitespace()
            if peek() == TOMLByte.hash { try skipComment() }
            if try !consumeNewline() { return }
        }
    }

    /// After a key/value pair or a header: optional whitespace and comment, then a newline or the end.
    mutating func expectEndOfLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == TOMLByte.hash { try skipComment() }
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
            if c == TOMLByte.hash {
                try skipComment()
                try expectEndOfLine()
            } else if try consumeNewline() {
                continue
            } else if c == TOMLByte.openBracket {
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
        let isArray = peek(1) == TOMLByte.openBracket
        index += isArray ? 2 : 1
        skipWhitespace()
        let keys = try parseKey()
        skipWhitespace()
        let closing = isArray ? "]]" : "]"
        for _ in 0..<(isArray ? 2 : 1) {
            guard peek() == TOMLByte.closeBracket else {
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
        guard peek() == TOMLByte.equals else {
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
            if c == TOMLByte.quote {
                if peek(1) == TOMLByte.quote, peek(2) == TOMLByte.quote { throw error("multi-line strings cannot be keys") }
                keys.append(try parseBasicString())
            } else if c == TOMLByte.apostrophe {
                if peek(1) == TOMLByte.apostrophe, peek(2) == TOMLByte.apostrophe { throw error("multi-line strings cannot be keys") }
                keys.append(try parseLiteralString())
            } else if TOMLKey.isBareKeyByte(c) {
                let start = index
                while let b = peek(), TOMLKey.isBareKeyByte(b) { index += 1 }
                keys.append(String(decoding: bytes[start..<index], as: UTF8.self))
            } else {
                throw error("expected a key, found \(describeCurrent())")
            }
            skipWhitespace()
            guard peek() == TOMLByte.dot else { return keys }
            index += 1
        }
    }

    // MARK: Values

    mutating func parseValue(path: [String]) throws(TOMLError) -> TOMLValue {
        let startLine = line
        guard let c = peek() else { throw error("expected a value, found end of file") }
        let storage: TOMLValue.Storage
        switch c {
        case TOMLByte.quote:
            if peek(1) == TOMLByte.quote, peek(2) == TOMLByte.quote {
                storage = .string(try parseMultiLineString(delimiter: TOMLByte.quote))
            } else {
                storage = .string(try parseBasicString())
            }
        case TOMLByte.apostrophe:
            if peek(1) == TOMLByte.apostrophe, peek(2) == TOMLByte.apostrophe {
                storage = .string(try parseMultiLineString(delimiter: TOMLByte.apostrophe))
            } else {
                storage = .string(try parseLiteralString())
            }
        case TOMLByte.openBracket, TOMLByte.openBrace:
            guard depth < TOMLParser.maximumDepth else {
                throw error("arrays and inline tables are nested more than \(TOMLParser.maximumDepth) levels deep")
            }
            depth += 1
            defer { depth -= 1 }
            storage = c == TOMLByte.openBracket ? .array(try parseArray(path: path)) : .table(try parseInlineTable(path: path))
        default:
            storage = try parseBareValue()
        }
        return TOMLValue(storage, line: startLine, path: path)
    }

    /// Booleans, numbers, and the dates we refuse.
    mutating func parseBareValue() throws(TOMLError) -> TOMLValue.Storage {
        let start = index
        while let c = peek(), TOMLKey.isBareKeyByte(c) || c == TOMLByte.plus || c == TOMLByte.dot || c == TOMLByte.colon {
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
        guard let first = token.first, TOMLByte.isDigit(first) || first == TOMLByte.plus || first == TOMLByte.minus else {
            throw error("invalid value '\(text)' (strings must be quoted)")
        }
        return try parseNumber(token, text: text)
    }

    /// `1979-05-27…` or `07:32:00…`.
    func looksLikeDate(_ token: [UInt8]) -> Bool {
        var digits = 0
        while digits < token.count, TOMLByte.isDigit(token[digits]) { digits += 1 }
        guard digits < token.count else { return false }
        return (digits == 4 && token[digits] == TOMLByte.minus) || (digits == 2 && token[digits] == TOMLByte.colon)
    }

    func parseNumber(_ token: [UInt8], text: String) throws(TOMLError) -> TOMLValue.Storage {
        var body = token[...]
        var negative = false
        var signed = false
        if let first = body.first, first == TOMLByte.plus || first == TOMLByte.minus {
            negative = first == TOMLByte.minus
            signed = true
            body = body.dropFirst()
        }
        let invalid = error("invalid number '\(text)'")

        // 0x…, 0o…, 0b…
        if body.count >= 2, body[body.startIndex] == TOMLByte.zero {
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
                for c in digits where c != TOMLByte.underscore {
                    guard let d = TOMLByte.hexValue(c), UInt64(d) < radix else { throw invalid }
                    let (m, o1) = value.multipliedReportingOverflow(by: radix)
                    let (s, o2) = m.addingReportingOverflow(UInt64(d))
                    guard !o1, !o2, s <= UInt64(Int64.max) else { throw error("integer '\(text)' is out of range") }
                    value = s
                }
                return .integer(Int64(value))
            }
        }

        guard body.allSatisfy({ TOMLByte.isDigit($0) || $0 == TOMLByte.underscore || $0 == TOMLByte.dot || $0 == 0x65 || $0 == 0x45 || $0 == TOMLByte.plus || $0 == TOMLByte.minus }) else {
            throw error("invalid value '\(text)' (strings must be quoted)")
        }
        let isFloat = body.contains(TOMLByte.dot) || body.contains(0x65) || body.contains(0x45)
        if !isFloat {
            guard validUnderscores(body), !body.contains(TOMLByte.plus), !body.contains(TOMLByte.minus) else { throw invalid }
            let digits = body.filter { $0 != TOMLByte.underscore }
            if digits.count > 1, digits.first == TOMLByte.zero { throw error("invalid number '\(text)': leading zeros are not allowed") }
            var magnitude: UInt64 = 0
            for c in digits {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(c - TOMLByte.zero))
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
            while i < body.endIndex, TOMLByte.isDigit(body[i]) || body[i] == TOMLByte.underscore { i += 1 }
            let run = body[start..<i]
            guard !run.isEmpty, validUnderscores(run) else { return nil }
            if !allowLeadingZero, run.count > 1, run.first == TOMLByte.zero { return nil }
            return run
        }
        guard digitRun(false) != nil else { throw invalid }
        if i < body.endIndex, body[i] == TOMLByte.dot {
            i += 1
            guard digitRun(true) != nil else { throw invalid }
        }
        if i < body.endIndex, body[i] == 0x65 || body[i] == 0x45 {
            i += 1
            if i < body.endIndex, body[i] == TOMLByte.plus || body[i] == TOMLByte.minus { i += 1 }
            guard digitRun(true) != nil else { throw invalid }
        }
        guard i == body.endIndex else { throw invalid }
        let cleaned = String(decoding: token.filter { $0 != TOMLByte.underscore }, as: UTF8.self)
        guard let value = Double(cleaned) else { throw invalid }
        guard value.isFinite else { throw error("float '\(text)' is out of range") }
        return .float(value)
    }

    /// Every `_` sits between two digits.
    func validUnderscores(_ run: ArraySlice<UInt8>) -> Bool {
        guard !run.isEmpty else { return false }
        var previousWasDigit = false
        for c in run {
            if c == TOMLByte.underscore {
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
            guard let c = peek(), c != TOMLByte.newline, c != TOMLByte.carriageReturn else {
                throw error("unterminated string", line: startLine)
            }
            if c == TOMLByte.quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == TOMLByte.backslash {
                try parseEscape(into: &out)
                continue
            }
            if TOMLByte.isForbiddenControl(c) { throw controlCharacterError(c) }
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
            guard let c = peek(), c != TOMLByte.newline, c != TOMLByte.carriageReturn else {
                throw error("unterminated string", line: startLine)
            }
            if c == TOMLByte.apostrophe {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if TOMLByte.isForbiddenControl(c) { throw controlCharacterError(c) }
            index += 1
        }
    }

    /// `"""…"""` or `'''…'''`.
    mutating func parseMultiLineString(delimiter: UInt8) throws(TOMLError) -> String {
        let startLine = line
        let escapes = delimiter == TOMLByte.quote
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
            if c == TOMLByte.newline || c == TOMLByte.carriageReturn {
                _ = try consumeNewline()
                out.append(TOMLByte.newline)
                continue
            }
            if escapes, c == TOMLByte.backslash {
                // A backslash ending a line swallows the newline and the whitespace that follows.
                var look = 1
                while let w = peek(look), w == TOMLByte.space || w == TOMLByte.tab { look += 1 }
                if let n = peek(look), n == TOMLByte.newline || n == TOMLByte.carriageReturn {
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
            if TOMLByte.isForbiddenControl(c) { throw controlCharacterError(c) }
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
        case 0x74: out.append(TOMLByte.tab)  // \t
        case 0x6E: out.append(TOMLByte.newline)  // \n
        case 0x66: out.append(0x0C)  // \f
        case 0x72: out.append(TOMLByte.carriageReturn)  // \r
        case TOMLByte.quote: out.append(TOMLByte.quote)
        case TOMLByte.backslash: out.append(TOMLByte.backslash)
        case 0x75, 0x55:  // \uXXXX, \UXXXXXXXX
            let count = c == 0x75 ? 4 : 8
            var value: UInt32 = 0
            for k in 0..<count {
                guard let h = peek(k).flatMap(TOMLByte.hexValue) else {
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
            if c == TOMLByte.newline || c == TOMLByte.carriageReturn { throw error("invalid escape sequence: '\\' at the end of a line") }
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
            if c == TOMLByte.closeBracket {
                index += 1
                return elements
            }
            elements.append(try parseValue(path: path))
            try skipBlank()
            guard let next = peek() else { throw error("unterminated array (opened on line \(startLine))") }
            if next == TOMLByte.comma {
                index += 1
            } else if next == TOMLByte.closeBracket {
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
        if peek() == TOMLByte.closeBrace {
            index += 1
            return node.freeze()
        }
        while true {
            skipWhitespace()
            if peek() == TOMLByte.newline || peek() == TOMLByte.carriageReturn {
                throw error("newlines are not allowed in inline tables")
            }
            try parseKeyValue(into: node)
            skipWhitespace()
            guard let c = peek() else { throw error("unterminated inline table") }
            if c == TOMLByte.comma {
                index += 1
                skipWhitespace()
                if peek() == TOMLByte.closeBrace { throw error("trailing commas are not allowed in inline tables") }
            } else if c == TOMLByte.closeBrace {
                index += 1
                return node.freeze()
            } else if c == TOMLByte.newline || c == TOMLByte.carriageReturn {
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
