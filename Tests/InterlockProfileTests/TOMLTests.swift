import XCTest
@testable import InterlockProfile

final class TOMLTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLTable {
        do {
            return try TOML.parse(text, file: "t.toml")
        } catch {
            XCTFail("unexpected error: \(error)", file: file, line: line)
            return TOMLTable()
        }
    }

    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TOMLError? {
        do {
            let table = try TOML.parse(text, file: "t.toml")
            XCTFail("expected an error, parsed \(table)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func assertError(_ text: String, line expectedLine: Int, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let error = parseError(text, file: file, line: line) else { return }
        XCTAssertEqual(error.file, "t.toml", file: file, line: line)
        XCTAssertEqual(error.line, expectedLine, "\(error)", file: file, line: line)
        XCTAssertEqual(error.message, message, file: file, line: line)
    }

    /// The value at a dotted path of plain keys.
    private func value(_ table: TOMLTable, _ path: String) -> TOMLValue? {
        var current: TOMLValue? = nil
        var table: TOMLTable? = table
        for key in path.split(separator: ".") {
            current = table?[String(key)]
            table = current?.table
        }
        return current
    }

    // MARK: Keys and tables

    func testCommentsBareQuotedAndDottedKeys() {
        let doc = parse("""
        # leading comment
        bare_key-1 = 1 # trailing comment
        "quoted key" = 2
        'literal.key' = 3
        a.b.c = 4
        a . b . d = 5
        site."google.com" = true
        1234 = "numeric key"
        """)
        XCTAssertEqual(doc.keys, ["bare_key-1", "quoted key", "literal.key", "a", "site", "1234"])
        XCTAssertEqual(doc["bare_key-1"]?.integer, 1)
        XCTAssertEqual(doc["quoted key"]?.integer, 2)
        XCTAssertEqual(doc["literal.key"]?.integer, 3)
        XCTAssertEqual(value(doc, "a.b.c")?.integer, 4)
        XCTAssertEqual(value(doc, "a.b.d")?.integer, 5)
        XCTAssertEqual(doc["site"]?.table?["google.com"]?.boolean, true)
        XCTAssertEqual(doc["1234"]?.string, "numeric key")
        // Full paths and lines.
        XCTAssertEqual(value(doc, "a.b.d")?.key, "a.b.d")
        XCTAssertEqual(value(doc, "a.b.d")?.line, 6)
        XCTAssertEqual(doc["site"]?.table?["google.com"]?.key, "site.\"google.com\"")
        XCTAssertEqual(doc["quoted key"]?.line, 3)
    }

    func testTablesAndSubtables() {
        let doc = parse("""
        top = 1

        [server]
        host = "a"

        [server.tls]
        enabled = true

        [ dog . "tater.man" ]
        type = "pug"

        [x.y.z]
        w = 1
        [x]
        v = 2
        """)
        XCTAssertEqual(doc.keys, ["top", "server", "dog", "x"])
        XCTAssertEqual(value(doc, "server.host")?.string, "a")
        XCTAssertEqual(value(doc, "server.tls.enabled")?.boolean, true)
        XCTAssertEqual(value(doc, "server.tls.enabled")?.key, "server.tls.enabled")
        XCTAssertEqual(value(doc, "server.tls.enabled")?.line, 7)
        XCTAssertEqual(value(doc, "server.tls")?.line, 6)
        XCTAssertEqual(doc["dog"]?.table?["tater.man"]?.table?["type"]?.string, "pug")
        XCTAssertEqual(doc["dog"]?.table?["tater.man"]?.table?["type"]?.key, "dog.\"tater.man\".type")
        // [x] may be defined after [x.y.z] created it implicitly.
        XCTAssertEqual(value(doc, "x.y.z.w")?.integer, 1)
        XCTAssertEqual(value(doc, "x.v")?.integer, 2)
        XCTAssertEqual(doc["x"]?.table?.keys, ["y", "v"])
    }

    func testArrayOfTables() {
        let doc = parse("""
        [[products]]
        name = "Hammer"

        [[products]]

        [[products]]
        name = "Nail"
        [products.dimensions]
        size = 3
        [[products.variants]]
        color = "grey"
        """)
        guard let products = doc["products"]?.array else { return XCTFail("no products") }
        XCTAssertEqual(products.count, 3)
        XCTAssertEqual(products[0].table?["name"]?.string, "Hammer")
        XCTAssertEqual(products[1].table?.isEmpty, true)
        XCTAssertEqual(products[2].table?["name"]?.string, "Nail")
        XCTAssertEqual(products[2].table?["dimensions"]?.table?["size"]?.integer, 3)
        XCTAssertEqual(products[2].table?["variants"]?.array?.first?.table?["color"]?.string, "grey")
        XCTAssertEqual(products[0].line, 1)
        XCTAssertEqual(products[2].line, 6)
        XCTAssertEqual(products[2].table?["name"]?.key, "products.name")
    }

    // MARK: Strings

    func testBasicStringEscapes() {
        let doc = parse(#"""
        s = "tab\tnl\nquote\"back\\slash\b\f\r"
        u = "\u00e9\U0001F600"
        plain = "caf\u00E9 ünïcode"
        """#)
        XCTAssertEqual(doc["s"]?.string, "tab\tnl\nquote\"back\\slash\u{08}\u{0C}\r")
        XCTAssertEqual(doc["u"]?.string, "é😀")
        XCTAssertEqual(doc["plain"]?.string, "café ünïcode")
    }

    func testLiteralStrings() {
        let doc = parse(#"""
        path = 'C:\Users\nodejs\templates'
        quoted = '<\i\c*\s*>'
        """#)
        XCTAssertEqual(doc["path"]?.string, #"C:\Users\nodejs\templates"#)
        XCTAssertEqual(doc["quoted"]?.string, #"<\i\c*\s*>"#)
    }

    func testMultiLineStrings() {
        let doc = parse(#"""
        a = """
        Roses are red
        Violets are blue"""
        b = """\
               The quick brown \
               fox jumps over \
               the lazy dog.\
               """
        c = """Here are two quotation marks: "". Simple enough."""
        d = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
        e = """"This," she said, "is just a pointless statement.""""
        f = '''
        The first newline is
        trimmed in raw strings.
           All other whitespace
           is preserved. \n
        '''
        g = ''''That,' she said, 'is still pointless.''''
        h = """esc\t\u0041"""
        after = 1
        """#)
        XCTAssertEqual(doc["a"]?.string, "Roses are red\nViolets are blue")
        XCTAssertEqual(doc["b"]?.string, "The quick brown fox jumps over the lazy dog.")
        XCTAssertEqual(doc["c"]?.string, #"Here are two quotation marks: "". Simple enough."#)
        XCTAssertEqual(doc["d"]?.string, #"Here are fifteen quotation marks: """""""""""""""."#)
        XCTAssertEqual(doc["e"]?.string, #""This," she said, "is just a pointless statement.""#)
        XCTAssertEqual(doc["f"]?.string, "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved. \\n\n")
        XCTAssertEqual(doc["g"]?.string, "'That,' she said, 'is still pointless.'")
        XCTAssertEqual(doc["h"]?.string, "esc\tA")
        XCTAssertEqual(doc["a"]?.line, 1)
        XCTAssertEqual(doc["b"]?.line, 4)
        // Lines keep counting through multi-line strings.
        XCTAssertEqual(doc["after"]?.line, 20)
    }

    func testCRLFLineEndings() {
        let doc = parse("a = 1\r\nb = \"\"\"x\r\ny\"\"\"\r\nc = 3\r\n")
        XCTAssertEqual(doc["b"]?.string, "x\ny")
        XCTAssertEqual(doc["c"]?.line, 4)
    }

    // MARK: Numbers and booleans

    func testIntegers() {
        let doc = parse("""
        a = +99
        b = 42
        c = 0
        d = -17
        e = 1_000_000
        f = 0xDEAD_beef
        g = 0o755
        h = 0b1101_0110
        i = 9223372036854775807
        j = -9223372036854775808
        k = -0
        """)
        XCTAssertEqual(doc["a"]?.integer, 99)
        XCTAssertEqual(doc["b"]?.integer, 42)
        XCTAssertEqual(doc["c"]?.integer, 0)
        XCTAssertEqual(doc["d"]?.integer, -17)
        XCTAssertEqual(doc["e"]?.integer, 1_000_000)
        XCTAssertEqual(doc["f"]?.integer, 0xDEADBEEF)
        XCTAssertEqual(doc["g"]?.integer, 0o755)
        XCTAssertEqual(doc["h"]?.integer, 0b1101_0110)
        XCTAssertEqual(doc["i"]?.integer, Int64.max)
        XCTAssertEqual(doc["j"]?.integer, Int64.min)
        XCTAssertEqual(doc["k"]?.integer, 0)
        XCTAssertEqual(doc["b"]?.typeName, "integer")
    }

    func testFloatsAndBooleans() {
        let doc = parse("""
        a = +1.0
        b = 3.1415
        c = -0.01
        d = 5e+22
        e = 1e06
        f = -2E-2
        g = 6.626e-34
        h = 224_617.445_991
        i = inf
        j = -inf
        k = nan
        t = true
        u = false
        """)
        XCTAssertEqual(doc["a"]?.float, 1.0)
        XCTAssertEqual(doc["b"]?.float, 3.1415)
        XCTAssertEqual(doc["c"]?.float, -0.01)
        XCTAssertEqual(doc["d"]?.float, 5e22)
        XCTAssertEqual(doc["e"]?.float, 1e6)
        XCTAssertEqual(doc["f"]?.float, -0.02)
        XCTAssertEqual(doc["g"]?.float, 6.626e-34)
        XCTAssertEqual(doc["h"]?.float, 224617.445991)
        XCTAssertEqual(doc["i"]?.float, .infinity)
        XCTAssertEqual(doc["j"]?.float, -.infinity)
        XCTAssertEqual(doc["k"]?.float?.isNaN, true)
        XCTAssertEqual(doc["t"]?.boolean, true)
        XCTAssertEqual(doc["u"]?.boolean, false)
        XCTAssertEqual(doc["a"]?.typeName, "float")
        XCTAssertEqual(doc["t"]?.typeName, "boolean")
    }

    // MARK: Arrays and inline tables

    func testArrays() {
        let doc = parse("""
        empty = []
        ints = [1, 2, 3]
        mixed = ["a", 1, 2.5, true, [1, 2], { x = 1 }]
        multi = [
            "one", # a comment
            # a whole-line comment

            "two",
        ]
        nested = [[1, 2], ['a', "b"]]
        next = 1
        """)
        XCTAssertEqual(doc["empty"]?.array, [])
        XCTAssertEqual(doc["ints"]?.array?.compactMap(\.integer), [1, 2, 3])
        XCTAssertEqual(doc["mixed"]?.array?.map(\.typeName), ["string", "integer", "float", "boolean", "array", "table"])
        XCTAssertEqual(doc["multi"]?.array?.compactMap(\.string), ["one", "two"])
        XCTAssertEqual(doc["multi"]?.array?.map(\.line), [5, 8])
        XCTAssertEqual(doc["multi"]?.array?.first?.key, "multi")
        XCTAssertEqual(doc["multi"]?.line, 4)
        XCTAssertEqual(doc["nested"]?.array?[1].array?.compactMap(\.string), ["a", "b"])
        XCTAssertEqual(doc["next"]?.line, 11)
    }

    func testInlineTables() {
        let doc = parse("""
        name = { first = "Tom", last = "Preston-Werner" }
        point = {x=1,y=2}
        animal = { type.name = "pug" }
        empty = {}
        """)
        XCTAssertEqual(value(doc, "name.first")?.string, "Tom")
        XCTAssertEqual(value(doc, "name.last")?.key, "name.last")
        XCTAssertEqual(value(doc, "point.y")?.integer, 2)
        XCTAssertEqual(value(doc, "animal.type.name")?.string, "pug")
        XCTAssertEqual(value(doc, "animal.type.name")?.key, "animal.type.name")
        XCTAssertEqual(doc["empty"]?.table?.isEmpty, true)
    }

    func testByteOrderMarkAndEmptyDocument() {
        XCTAssertEqual(parse("").count, 0)
        XCTAssertEqual(parse("\u{FEFF}a = 1")["a"]?.integer, 1)
        XCTAssertEqual(parse("\n\n# only comments\n   \n").count, 0)
    }

    // MARK: Errors

    func testDatesAreRejected() {
        assertError("a = 1\nd = 1979-05-27T07:32:00Z", line: 2, "dates are not supported")
        assertError("d = 1979-05-27", line: 1, "dates are not supported")
        assertError("d = 1979-05-27 07:32:00", line: 1, "dates are not supported")
        assertError("t = 07:32:00", line: 1, "dates are not supported")
    }

    func testDuplicatesAndRedefinitions() {
        assertError("a = 1\na = 2", line: 2, "duplicate key 'a'")
        assertError("a.b = 1\na.b = 2", line: 2, "duplicate key 'a.b'")
        assertError("[t]\nx = 1\n[t]\ny = 2", line: 3, "table 't' is already defined")
        assertError("[t.u]\n[t]\n[t]", line: 3, "table 't' is already defined")
        assertError("a = 1\n[a]", line: 2, "cannot define table 'a': key 'a' is already defined as an integer")
        assertError("a = {x = 1}\n[a]", line: 2, "table 'a' is already defined")
        assertError("a = {x = 1}\na.y = 2", line: 2, "cannot add to inline table 'a'")
        assertError("a = {x = 1}\n[a.b]", line: 2, "cannot add to inline table 'a'")
        assertError("[fruit]\napple.color = 'red'\n[fruit.apple]", line: 3, "table 'fruit.apple' is already defined")
        assertError("[a.b]\nz = 1\n[a]\nb.t = 2", line: 4,
                    "cannot add to table 'a.b' with dotted keys: it is already defined")
        assertError("[[a]]\n[a]", line: 2, "table 'a' is already defined as an array of tables")
        assertError("a = [1]\n[[a]]", line: 2,
                    "cannot define array of tables 'a': key 'a' is already defined as an array")
        assertError("[a]\n[[a]]", line: 2, "cannot define array of tables 'a': table 'a' is already defined")
        assertError("a = 1\na.b = 2", line: 2, "cannot use 'a' as a table: it is already defined as an integer")
        assertError("p = { a = 1, a = 2 }", line: 1, "duplicate key 'p.a'")
    }

    func testSyntaxErrorsCarryLines() {
        assertError("a = 1\nb = \"unterminated\nc = 3", line: 2, "unterminated string")
        assertError("a = \"\"\"never\nclosed", line: 1, "unterminated multi-line string")
        assertError("\n\na = [1, 2", line: 3, "unterminated array (opened on line 3)")
        assertError("a = [1 2]", line: 1, "expected ',' or ']' in array, found '2'")
        assertError("a = [,]", line: 1, "expected a value, found ','")
        assertError("a = 1 b = 2", line: 1, "expected the end of the line, found 'b'")
        assertError("a", line: 1, "expected '=' after key 'a', found end of file")
        assertError("x.y 1", line: 1, "expected '=' after key 'x.y', found '1'")
        assertError("= 1", line: 1, "expected a key, found '='")
        assertError("a =", line: 1, "expected a value, found end of file")
        assertError("a = \n1", line: 1, "expected a value, found end of line")
        assertError("[table", line: 1, "expected ']' to close the table header, found end of file")
        assertError("[[t]\n", line: 1, "expected ']]' to close the table header, found end of line")
        assertError("[]", line: 1, "expected a key, found ']'")
        assertError("a = default", line: 1, "invalid value 'default' (strings must be quoted)")
        assertError("a = tru", line: 1, "invalid value 'tru' (strings must be quoted)")
        assertError(#"a = "bad \q escape""#, line: 1, #"invalid escape sequence '\q'"#)
        assertError(#"a = "\u12""#, line: 1, #"invalid unicode escape: expected 4 hexadecimal digits after '\u'"#)
        assertError(#"a = "\uD800""#, line: 1, "invalid unicode escape: U+D800 is not a unicode scalar value")
        assertError("a = \"tab\u{01}\"", line: 1, "control character U+0001 must be escaped in strings")
        assertError("# bell \u{07}\n", line: 1, "control character U+0007 is not allowed in comments")
        assertError("a = 1\rb = 2", line: 1, "carriage return not followed by a newline")
        assertError("a = { x = 1,\n y = 2 }", line: 1, "newlines are not allowed in inline tables")
        assertError("a = { x = 1, }", line: 1, "trailing commas are not allowed in inline tables")
        assertError("'''a''' = 1", line: 1, "multi-line strings cannot be keys")
    }

    func testNumberErrors() {
        assertError("a = 9223372036854775808", line: 1, "integer '9223372036854775808' is out of range")
        assertError("a = -9223372036854775809", line: 1, "integer '-9223372036854775809' is out of range")
        assertError("a = 0x8000000000000000", line: 1, "integer '0x8000000000000000' is out of range")
        assertError("a = 012", line: 1, "invalid number '012': leading zeros are not allowed")
        assertError("a = 1__0", line: 1, "invalid number '1__0'")
        assertError("a = _1", line: 1, "invalid value '_1' (strings must be quoted)")
        assertError("a = 1_", line: 1, "invalid number '1_'")
        assertError("a = +0x1", line: 1, "invalid number '+0x1': hexadecimal, octal and binary integers cannot have a sign")
        assertError("a = 0b102", line: 1, "invalid number '0b102'")
        assertError("a = 1.", line: 1, "invalid number '1.'")
        assertError("a = 1.e5", line: 1, "invalid number '1.e5'")
        assertError("a = 03.14", line: 1, "invalid number '03.14'")
        assertError("a = 1e", line: 1, "invalid number '1e'")
        assertError("a = 1e999", line: 1, "float '1e999' is out of range")
    }

    func testNestingIsBounded() {
        let ok = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertNotNil(parse(ok)["a"]?.array)
        assertError("\na = " + String(repeating: "[", count: 100_000), line: 2,
                    "arrays and inline tables are nested more than 100 levels deep")
        assertError("a = " + String(repeating: "{b = ", count: 101), line: 1,
                    "arrays and inline tables are nested more than 100 levels deep")
    }

    /// Mutated documents never trap, and every error points at a line of the document.
    func testMutatedInputNeverTraps() {
        let seed = Array(#"""
        extends = "default" # c
        [filesystem]
        read_only = ["a", 'b', """
        multi""", '''lit''']
        [env.x]
        limits.memory = "4G"
        n = [1_000, 0x1F, -0.5e3, inf, true, { a = 1, b.c = [2] }]
        [[t.u]]
        s = "\u00e9\t"
        """#.utf8)
        let alphabet = Array("[]{}\"'=.,#\n\r\\ _-+:0123456789aeEfinxobtu".utf8) + [0x00, 0xFF, 0xC3]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        XCTAssertNoThrow(try TOML.parse(bytes: seed, file: "f.toml"))
        for _ in 0..<5000 {
            var bytes = seed
            for _ in 0..<(1 + next() % 4) {
                let position = next() % (bytes.count + 1)
                switch next() % 3 {
                case 0: bytes.insert(alphabet[next() % alphabet.count], at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = alphabet[next() % alphabet.count] }
                }
            }
            let lines = bytes.filter { $0 == 0x0A }.count + 1
            do {
                _ = try TOML.parse(bytes: bytes, file: "f.toml")
            } catch {
                XCTAssertTrue((1...lines).contains(error.line), "\(error) for \(String(decoding: bytes, as: UTF8.self))")
                XCTAssertFalse(error.message.isEmpty)
            }
        }
    }

    func testInvalidUTF8ReportsTheLine() {
        let bytes: [UInt8] = Array("a = 1\nb = \"".utf8) + [0xFF, 0x22]
        XCTAssertThrowsError(try TOML.parse(bytes: bytes, file: "u.toml")) { error in
            XCTAssertEqual(error as? TOMLError, TOMLError(file: "u.toml", line: 2, message: "the file is not valid UTF-8"))
        }
    }

    func testErrorDescription() {
        XCTAssertEqual(TOMLError(file: "a.toml", line: 3, message: "dates are not supported").description,
                       "a.toml:3: dates are not supported")
    }
}
