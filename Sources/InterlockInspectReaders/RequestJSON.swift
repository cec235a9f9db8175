import InterlockJSON

/// How a request body is read as JSON for the rules: one reading every conforming parser agrees
/// on, or a refusal naming why there is none.
enum RequestJSON {
    /// Why a text was not read. `ambiguous`: it is JSON to some parsers, but they disagree on
    /// what it says (a key twice, a lone surrogate, invalid UTF-8, NUL in a key).
    struct ParseError: Error, Equatable {
        var message: String
        var ambiguous = false
    }

    static let maxDepth = 256

    /// Besides syntax errors, whatever parsers resolve differently is refused (Python, Node and
    /// Go keep the last of two equal keys, other readers the first).
    static let options = JSONReader.Options(duplicateKeys: .reject, maxDepth: maxDepth, rejectsNULInKeys: true)

    static func parse(_ bytes: [UInt8]) -> JSONValue? { try? read(bytes) }

    /// The one reading of `bytes`, or the reason there is none.
    static func read(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        do {
            return try JSONReader.read(bytes, options: options)
        } catch {
            throw problem(error, in: bytes)
        }
    }

    /// A reader error as a refusal says it; the syntax errors no parser reads differently are
    /// all "not valid JSON".
    static func problem(_ error: JSONReadError, in bytes: [UInt8]) -> ParseError {
        switch error.kind {
        case .expectedValue:
            guard error.offset < bytes.count else { return ParseError(message: "not valid JSON") }
            return ParseError(message: "an unexpected byte 0x\(String(bytes[error.offset], radix: 16, uppercase: true)) at offset \(error.offset)")
        case .tooDeep: return ParseError(message: "nested deeper than \(maxDepth) levels")
        case .invalidNumber: return ParseError(message: "not a JSON number")
        case .invalidEscape: return ParseError(message: "an escape JSON does not have")
        case .invalidUnicodeEscape: return ParseError(message: "a \\u escape without four hex digits")
        case .unpairedSurrogate: return ParseError(message: "a lone surrogate escape", ambiguous: true)
        case .invalidUTF8: return ParseError(message: "invalid UTF-8 in a string", ambiguous: true)
        case .nulInKey: return ParseError(message: "NUL in a key", ambiguous: true)
        case .duplicateKey(let key): return ParseError(message: "duplicate \"\(shown(key))\" key", ambiguous: true)
        case .trailingData: return ParseError(message: "data after the JSON value")
        case .invalidLiteral, .expectedMemberName, .expectedColon, .expectedCommaOrEnd, .unterminated, .unterminatedString,
             .controlCharacter:
            return ParseError(message: "not valid JSON")
        }
    }

    /// A key as Go's encoding/json matches it to a field: without case, and with the Kelvin
    /// sign as `k` and the long s as `s` (`"QUERY"` and `"query"` name the same field there).
    static func foldedKey(_ key: String) -> String {
        String(String.UnicodeScalarView(key.lowercased().unicodeScalars.map { scalar in
            switch scalar { case "\u{212A}": "k"; case "\u{17F}": "s"; default: scalar }
        }))
    }

    /// `bytes` with every JSON string escape decoded wherever it stands, valid JSON or not
    /// (`"\u0067hp_…"` reads `"ghp_…"`); escapes that decode to nothing are left as they are.
    /// Nil when there is no backslash. What a server's JSON reader would see, for a search.
    static func unescapingEverywhere(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(0x5C) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let c = bytes[index]
            index += 1
            guard c == 0x5C else { out.append(c); continue }
            if let next = JSONReader.decodeEscape(in: bytes, at: index, into: &out) {
                index = next
            } else {
                out.append(c)
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
