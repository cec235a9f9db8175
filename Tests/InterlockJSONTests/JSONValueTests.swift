import InterlockJSON
import XCTest

final class JSONValueTests: XCTestCase {
    func testRoundTripKeepsKeyOrderAndExactNumbers() throws {
        let text = #"{"z":1,"a":[18446744073709551615,-2.5e3,0.10,1E+2,-0],"m":{"b":true,"a":null},"s":"x\"\\y"}"#
        let value = try JSONReader.read(text)
        XCTAssertEqual(value.keys, ["z", "a", "m", "s"])
        XCTAssertEqual(value.encoded(), text)
        XCTAssertEqual(try JSONReader.read(value.encoded()), value)
    }

    func testDuplicateMembersAreKeptInOrder() throws {
        let value = try JSONReader.read(#"{"a": 1, "b": 2, "a": 3}"#)
        XCTAssertEqual(value["a"], .number("1"))
        XCTAssertEqual(value[last: "a"], .number("3"))
        XCTAssertEqual(value.keys, ["a", "b", "a"])
        XCTAssertEqual(value.encoded(), #"{"a":1,"b":2,"a":3}"#)
    }

    func testNamesCompareAsBytes() throws {
        let value = try JSONReader.read("{\"\u{212A}ey\": 1}")
        XCTAssertNil(value["Key"])
        XCTAssertEqual(value["\u{212A}ey"], .number("1"))
    }

    func testNumberAccessors() {
        XCTAssertEqual(JSONValue.number("-42").intValue, -42)
        XCTAssertEqual(JSONValue.number("2.0e3").intValue, 2000)
        XCTAssertEqual(JSONValue.number("2.7").intValue, 2)
        XCTAssertNil(JSONValue.number("1e19").intValue)
        XCTAssertNil(JSONValue.number("1e400").intValue)
        XCTAssertEqual(JSONValue.number("18446744073709551615").unsignedIntegerValue, UInt64.max)
        XCTAssertNil(JSONValue.number("18446744073709551616").unsignedIntegerValue)
        XCTAssertNil(JSONValue.number("1.0").unsignedIntegerValue)
        XCTAssertNil(JSONValue.number("-1").unsignedIntegerValue)
        XCTAssertEqual(JSONValue.number("1.5e3").doubleValue, 1500)
        XCTAssertEqual(JSONValue.int(Int64.min), .number("-9223372036854775808"))
        XCTAssertNil(JSONValue.string("1").intValue)
    }

    func testAccessorsAndTypeNames() {
        let value = JSONValue.object([("s", .string("x")), ("b", .bool(false)), ("a", .array([.null]))])
        XCTAssertEqual(value["s"]?.stringValue, "x")
        XCTAssertEqual(value["b"]?.boolValue, false)
        XCTAssertEqual(value["a"]?.arrayValue, [.null])
        XCTAssertEqual(value.objectValue?.count, 3)
        XCTAssertNil(value["s"]?["x"])
        XCTAssertEqual([JSONValue.null, .bool(true), .number("1"), .string(""), .array([]), .object([])].map(\.typeName),
                       ["null", "a boolean", "a number", "a string", "an array", "an object"])
    }

    func testPointer() throws {
        let value = try JSONReader.read(#"{"a": {"b/c": [1, {"t~": "x\u00e9"}]}, "": 5}"#)
        XCTAssertEqual(value.pointer("/a/b~1c/1/t~0"), .string("xé"))
        XCTAssertEqual(value.pointer("/a/b~1c/0"), .number("1"))
        XCTAssertEqual(value.pointer("/"), .number("5"))
        XCTAssertEqual(value.pointer(""), value)
        XCTAssertNil(value.pointer("a"))
        XCTAssertNil(value.pointer("/a/b~1c/2"))
        XCTAssertNil(value.pointer("/a/b~1c/-1"))
        XCTAssertNil(value.pointer("/a/missing"))
    }
}
