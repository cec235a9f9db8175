

enum GraphQLDocument {
    struct ParseError: Error { var message: String }

    static func operations(_ text: String) throws(ParseError) -> [GraphQLOperation] {
        var parser = Parser(tokens: try tokenize(Array(text.utf8)))
        return try parser.document()
    }

    enum Token: Equatable {
        case name(String)
        case punct(UInt8)  // { } ( ) [ ] : @ $ ! = | &
        case spread
        case value  // string or number: never a name we care about
    }

    static func tokenize(_ b: [UInt8]) throws(ParseError) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        func isNameStart(_ c: UInt8) -> Bool { c == 0x5F || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
        func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || (0x30...0x39).contains(c) }
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2C, 0xEF, 0xBB, 0xBF: i += 1  // whitespace, commas, BOM
            case 0x23:  // comment
                while i < b.count, b[i] != 0x0A, b[i] != 0x0D { i += 1 }
            case 0x2E:
                guard i + 2 < b.count, b[i + 1] == 0x2E, b[i + 2] == 0x2E else { throw ParseError(message: "unexpected '.'") }
                tokens.append(.spread)
                i += 3
            case 0x22:
                if i + 2 < b.count, b[i + 1] == 0x22, b[i + 2] == 0x22 {  // block string
                    i += 3
                    while true {
                        guard i < b.count else { throw ParseError(message: "unterminated block string") }
                        if b[i] == 0x5C, i + 3 < b.count, b[i + 1] == 0x22, b[i + 2] == 0x22, b[i + 3] == 0x22 { i += 4; continue }
                        if b[i] == 0x22, i + 2 < b.count, b[i + 1] == 0x22, b[i + 2] == 0x22 { i += 3; break }
                        i += 1
                    }
                } else {
                    i += 1
                    while true {
                        guard i < b.count, b[i] != 0x0A else { throw ParseError(message: "unterminated string") }
                        if b[i] == 0x5C { i += 2; continue }
                        if b[i] == 0x22 { i += 1; break }
                        i += 1
                    }
                }
                tokens.append(.value)
            case 0x2D, 0x30...0x39:
                i += 1
                while i < b.count, isNameByte(b[i]) || b[i] == 0x2E || b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                tokens.append(.value)
            case 0x7B, 0x7D, 0x28, 0x29, 0x5B, 0x5D, 0x3A, 0x40, 0x24, 0x21, 0x3D, 0x7C, 0x26:
                tokens.append(.punct(c))
                i += 1
            default:
                guard isNameStart(c) else { throw ParseError(message: "unexpected character") }
                let start = i
                while i < b.count, isNameByte(b[i]) { i += 1 }
                tokens.append(.name(String(decoding: b[start..<i], as: UTF8.self)))
            }
        }
        return tokens
    }

    /// A selection at the top of an operation or fragment.
    enum Selection {
        case field(String)
        case spread(String)
        case inline([Selection])
    }

    struct Parser {
        let tokens: [Token]
        var i = 0

        mutating func document() throws(ParseError) -> [GraphQLOperation] {
            var pending: [(type: String, name: String?, selections: [Selection])] = []
            var fragments: [String: [Selection]] = [:]
            guard !tokens.isEmpty else { throw ParseError(message: "empty document") }
            while i < tokens.count {
                switch tokens[i] {
                case .punct(0x7B):
                    pending.append(("query", nil, try selectionSet()))
                case .name(let word) where ["query", "mutation", "subscription"].contains(word):
                    i += 1
                    var name: String?
                    if case .name(let n) = peek { name = n; i += 1 }
                    if peek == .punct(0x28) { try skipBalanced(open: 0x28, close: 0x29) }
                    try skipDirectives()
                    pending.append((word, name, try selectionSet()))
                case .name("fragment"):
                    i += 1
                    guard case .name(let name) = peek else { throw ParseError(message: "fragment without a name") }
                    i += 1
                    guard peek == .name("on") else { throw ParseError(message: "fragment without 'on'") }
                    i += 2
                    try skipDirectives()
                    fragments[name] = try selectionSet()
                default:
                    // Type system definitions are not executable requests.
                    throw ParseError(message: "not an executable definition")
                }
            }
            return try pending.map { op throws(ParseError) in
                var fields: [String] = []
                var seen: Set<String> = []
                try expand(op.selections, fragments: fragments, into: &fields, visiting: &seen)
                return GraphQLOperation(type: op.type, name: op.name, fields: fields)
            }
        }

        func expand(_ selections: [Selection], fragments: [String: [Selection]], into fields: inout [String],
                    visiting: inout Set<String>) throws(ParseError) {
            for selection in selections {
                switch selection {
                case .field(let name): if !fields.contains(name) { fields.append(name) }
                case .inline(let inner): try expand(inner, fragments: fragments, into: &fields, visiting: &visiting)
                case .spread(let name):
                    guard let inner = fragments[name] else { throw ParseError(message: "unknown fragment \(name)") }
                    guard !visiting.contains(name) else { continue }
                    visiting.insert(name)
                    try expand(inner, fragments: fragments, into: &fields, visiting: &visiting)
                }
            }
        }

        var peek: Token? { i < tokens.count ? tokens[i] : nil }

        mutating func skipBalanced(open: UInt8, close: UInt8) throws(ParseError) {
            var depth = 0
            repeat {
                guard let t = peek else { throw ParseError(message: "unbalanced brackets") }
                if t == .punct(open) { depth += 1 } else if t == .punct(close) { depth -= 1 }
                i += 1
            } while depth > 0
        }

        mutating func skipDirectives() throws(ParseError) {
            while peek == .punct(0x40) {
                i += 1
                guard case .name = peek else { throw ParseError(message: "directive without a name") }
                i += 1
                if peek == .punct(0x28) { try skipBalanced(open: 0x28, close: 0x29) }
            }
        }

        /// `{ … }` at the top of an operation: the field names (aliases resolved); nested sets skipped.
        mutating func selectionSet() throws(ParseError) -> [Selection] {
            guard peek == .punct(0x7B) else { throw ParseError(message: "expected '{'") }
            i += 1
            var selections: [Selection] = []
            while true {
                guard let t = peek else { throw ParseError(message: "unterminated selection set") }
                switch t {
                case .punct(0x7D):
                    i += 1
                    guard !selections.isEmpty else { throw ParseError(message: "empty selection set") }
                    return selections
                case .spread:
                    i += 1
                    if case .name(let n) = peek, n != "on" {
                        i += 1
                        try skipDirectives()
                        selections.append(.spread(n))
                    } else {
                        if peek == .name("on") { i += 2 }
                        try skipDirectives()
                        selections.append(.inline(try selectionSet()))
                    }
                case .name(let first):
                    i += 1
                    var field = first
                    if peek == .punct(0x3A) {  // alias: name
                        i += 1
                        guard case .name(let real) = peek else { throw ParseError(message: "alias without a field") }
                        field = real
                        i += 1
                    }
                    if peek == .punct(0x28) { try skipBalanced(open: 0x28, close: 0x29) }
                    try skipDirectives()
                    if peek == .punct(0x7B) { try skipBalanced(open: 0x7B, close: 0x7D) }
                    selections.append(.field(field))
                default:
                    throw ParseError(message: "unexpected token in a selection set")
                }
            }
        }
    }
}
