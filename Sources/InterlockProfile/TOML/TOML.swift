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
// The scanner (TOMLParser) works on the UTF-8 bytes of the document; it never traps on input.

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
