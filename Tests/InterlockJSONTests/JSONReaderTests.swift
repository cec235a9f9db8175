import InterlockJSON
import XCTest

final class JSONReaderTests: XCTestCase {
    func error(_ text: String, _ options: JSONReader.Options = JSONReader.Options()) -> JSONReadError? {
        error(Array(text.utf8), options)
    }

    func error(_ bytes: [UInt8], _ options: JSONReader.Options = JSONReader.Options()) -> JSONReadError? {
        do { _ = try JSONReader.read(bytes, options: options); return nil } catch { return error }
    }

    func testReadsEveryKindOfValue() throws {
        let value = try JSONReader.read(#" {"a": [1, -2.5e3, "x\u00e9\ud83d\ude00\n\/\b\f\r\t", true, false, null, {}, []], "b": 18446744073709551615} "#)
        XCTAssertEqual(value["a"], .array([.number("1"), .number("-2.5e3"), .string("xé😀\n/\u{08}\u{0C}\r\t"), .bool(true), .bool(false), .null,
                                           .object([]), .array([])]))
        XCTAssertEqual(value["b"]?.unsignedIntegerValue, UInt64.max)
    }

    func testEachErrorKind() {
        let cases: [(String, JSONReadError.Kind, String)] = [
            ("", .expectedValue, "expected a value, found end of file"),
            ("[1,]", .expectedValue, "expected a value, found ']'"),
            ("tru", .invalidLiteral, "expected a value, found 't'"),
            ("{1: 2}", .expectedMemberName, "expected a member name in quotes, found '1'"),
            (#"{"a" 1}"#, .expectedColon, #"expected ':' after "a", found '1'"#),
            ("[1 2]", .expectedCommaOrEnd, "expected ',' or ']' in an array, found '2'"),
            (#"{"a": 1 "b"}"#, .expectedCommaOrEnd, "expected ',' or '}' in an object, found '\"'"),
            ("[1", .unterminated, "unterminated array"),
            (#"{"a": 1"#, .unterminated, "unterminated object"),
            ("01", .invalidNumber, "invalid number (leading zero)"),
            ("-", .invalidNumber, "invalid number"),
            ("1.", .invalidNumber, "invalid number"),
            ("1e+", .invalidNumber, "invalid number"),
            (#""abc"#, .unterminatedString, "unterminated string"),
            ("\"a\tb\"", .controlCharacter, "control character in a string"),
            (#""\x""#, .invalidEscape, #"invalid escape sequence '\x'"#),
            (#""\u12G4""#, .invalidUnicodeEscape, #"invalid \u escape"#),
            (#""\ud800""#, .unpairedSurrogate, #"unpaired surrogate in a \u escape"#),
            (#""\ud800\u0041""#, .unpairedSurrogate, #"unpaired surrogate in a \u escape"#),
            (#""\udc00""#, .unpairedSurrogate, #"invalid \u escape"#),
            ("1 2", .trailingData, "unexpected '2' after the JSON value"),
        ]
        for (text, kind, message) in cases {
            let error = error(text)
            XCTAssertEqual(error?.kind, kind, text)
            XCTAssertEqual(error?.message, message, text)
        }
        XCTAssertEqual(error([0x22, 0xFF, 0x22])?.kind, .invalidUTF8)
    }

    func testErrorsCarryTheirPosition() throws {
        let error = try XCTUnwrap(error("{\n  \"a\": [1,\n   ,]\n}"))
        XCTAssertEqual(error.kind, .expectedValue)
        XCTAssertEqual(error.offset, 16)
        XCTAssertEqual(error.line, 3)
        XCTAssertEqual(error.column, 4)
        XCTAssertEqual(error.description, "line 3: expected a value, found ','")
    }

    func testDuplicateKeysOption() {
        XCTAssertNil(error(#"{"a": 1, "a": 2}"#))
        let rejecting = JSONReader.Options(duplicateKeys: .reject)
        XCTAssertEqual(error(#"{"a": 1, "b": {"a": 2}}"#, rejecting)?.kind, nil)
        XCTAssertEqual(error(#"{"a": 1, "a": 2}"#, rejecting)?.kind, .duplicateKey("a"))
        // Canonically equivalent names are different names.
        XCTAssertNil(error("{\"K\": 1, \"\u{212A}\": 2}", rejecting))
    }

    func testDepthOption() {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth) }
        let options = JSONReader.Options(maxDepth: 3)
        XCTAssertNil(error(nested(2), options))
        XCTAssertEqual(error(nested(3), options)?.kind, .tooDeep)
        XCTAssertNil(error("[[[]]]", options))
        XCTAssertEqual(error(nested(10_000))?.kind, .tooDeep)
    }

    func testNULInKeysOption() {
        XCTAssertNil(error(#"{"a\u0000b": 1}"#))
        XCTAssertEqual(error(#"{"a\u0000b": 1}"#, JSONReader.Options(rejectsNULInKeys: true))?.kind, .nulInKey)
        XCTAssertNil(error(#"{"a": "\u0000"}"#, JSONReader.Options(rejectsNULInKeys: true)))
    }

    func testByteOrderMarkOption() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("[]".utf8)
        XCTAssertEqual(error(bytes)?.kind, .expectedValue)
        XCTAssertNil(error(bytes, JSONReader.Options(allowsByteOrderMark: true)))
    }

    func testDecodeEscape() {
        func decode(_ text: String) -> (String, Int)? {
            var out: [UInt8] = []
            guard let next = JSONReader.decodeEscape(in: Array(text.utf8), at: 1, into: &out) else { return nil }
            return (String(decoding: out, as: UTF8.self), next)
        }
        XCTAssertEqual(decode(#"\u0067hp"#)?.0, "g")
        XCTAssertEqual(decode(#"\u0067hp"#)?.1, 6)
        XCTAssertEqual(decode(#"\ud83d\ude00"#)?.0, "😀")
        XCTAssertEqual(decode(#"\n"#)?.0, "\n")
        XCTAssertNil(decode(#"\ud83d"#))
        XCTAssertNil(decode(#"\q"#))
        XCTAssertNil(decode("\\"))
    }
}
