import InterlockJSON
import XCTest

final class JSONWriterTests: XCTestCase {
    func testCompactEscaping() {
        let text = "q\"b\\n\nr\rt\tb\u{08}f\u{0C}e\u{1B}d\u{7F}é😀"
        XCTAssertEqual(JSONWriter().quote(text), #""q\"b\\n\nr\rt\tb\u0008f\u000ce\u001bd"# + "\u{7F}é😀\"")
    }

    func testTOMLCompatibleEscaping() {
        let text = "b\u{08}f\u{0C}e\u{1B}d\u{7F}\n"
        XCTAssertEqual(JSONWriter(escaping: .tomlCompatible).quote(text), #""b\bf\fe\u001Bd\u007F\n""#)
    }

    func testEscapedStringsReadBack() throws {
        let text = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init))) + "é😀"
        for escaping in [JSONWriter.Escaping.controlCharacters, .tomlCompatible] {
            XCTAssertEqual(try JSONReader.read(JSONWriter(escaping: escaping).quote(text)), .string(text))
        }
    }

    func testCompactLayout() {
        let value = JSONValue.object([("a", .array([.int(1), .null, .bool(true)])), ("b", .object([])), ("c", .array([]))])
        XCTAssertEqual(JSONWriter().write(value), #"{"a":[1,null,true],"b":{},"c":[]}"#)
        XCTAssertEqual(value.encoded(), JSONWriter().write(value))
    }

    func testIndentedLayout() {
        let value = JSONValue.object([("a", .array([.number("1"), .object([("x", .string("y"))])])), ("b", .object([])), ("c", .array([]))])
        XCTAssertEqual(JSONWriter(layout: .indented).write(value), """
            {
              "a": [
                1,
                {
                  "x": "y"
                }
              ],
              "b": {},
              "c": []
            }
            """)
    }
}
