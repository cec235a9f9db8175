@testable import InterlockInspectReaders
import InterlockJSON
import InterlockProfile
import XCTest

/// A request a rule reads is read one way, the way every server reads it, or refused (issue 23).
final class OneReadingTests: XCTestCase {
    func jsonProblem(_ text: String) -> RequestJSON.ParseError? {
        do { _ = try RequestJSON.read(Array(text.utf8)); return nil } catch { return error }
    }

    func testJSONThatParsersReadDifferentlyIsRefusedWithTheReason() {
        XCTAssertEqual(jsonProblem(#"{"query": "{ me }", "query": "mutation { volumeDelete }"}"#),
                       RequestJSON.ParseError(message: #"duplicate "query" key"#, ambiguous: true))
        XCTAssertEqual(jsonProblem(#"{"query": "a", "\u0071uery": "b"}"#)?.message, #"duplicate "query" key"#)
        XCTAssertEqual(jsonProblem(#"[{"query": "a"}, {"v": {"x": [{"id": 1, "id": 2}]}}]"#)?.message, #"duplicate "id" key"#)
        XCTAssertEqual(jsonProblem(#"{"a": "\ud800"}"#)?.message, "a lone surrogate escape")
        XCTAssertEqual(jsonProblem(#"{"a": "\udc00\ud800"}"#)?.message, "a lone surrogate escape")
        XCTAssertEqual(jsonProblem(#"{"query\u0000": 1, "query": 2}"#)?.message, "NUL in a key")
        for bytes: [UInt8] in [[0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],
                               [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]] {  // 0xFF; a surrogate in UTF-8
            XCTAssertThrowsError(try RequestJSON.read(bytes)) { error in
                XCTAssertEqual(error as? RequestJSON.ParseError, RequestJSON.ParseError(message: "invalid UTF-8 in a string", ambiguous: true))
            }
        }
        XCTAssertEqual(jsonProblem(#"{"a": 1} {"b": 2}"#)?.message, "data after the JSON value")
    }

    func testNumbersFollowTheJSONGrammarExactly() {
        for good in ["0", "-0", "1.5", "-12e3", "1E+2", "0.0e-0"] {
            XCTAssertEqual(RequestJSON.parse(Array(good.utf8)), .number(good), good)
        }
        for bad in ["+1", "01", "1.", ".5", "1e", "--1", "NaN", "Infinity", "0x10", "1.2.3"] {
            XCTAssertNil(RequestJSON.parse(Array(bad.utf8)), bad)
        }
    }

    func testValidEscapesStillDecode() throws {
        let node = try RequestJSON.read(Array(#"{"q": "\ud83d\ude00 \u00e9\n\/"}"#.utf8))
        XCTAssertEqual(node["q"]?.stringValue, "😀 é\n/")
    }

    func testUnescapingEverywhereSeesThroughJSONEscapesInAnyText() {
        let text = Array(#"{"t": "\u0067hp_abc", broken "\x" and \ud800 \"#.utf8)
        XCTAssertEqual(RequestJSON.unescapingEverywhere(text).map { String(decoding: $0, as: UTF8.self) },
                       #"{"t": "ghp_abc", broken "\x" and \ud800 \"#)
        XCTAssertNil(RequestJSON.unescapingEverywhere(Array("plain".utf8)))
    }

    func request(_ method: String = "POST", _ target: String = "/graphql", headers: [(String, String)] = [("content-type", "application/json")],
                 body: String = "") -> InspectedRequest {
        InspectedRequest(host: "api.test", method: method, target: target, headers: headers, body: Array(body.utf8))
    }

    func unreadable(_ r: InspectedRequest) -> String? {
        if case .failure(.unreadable(let why)) = GraphQLExtraction.operations(in: r) { return why }
        return nil
    }

    func testGraphQLWithTwoReadingsIsUnreadable() {
        XCTAssertEqual(unreadable(request(body: #"{"query": "{ me }", "query": "mutation { volumeDelete }"}"#)),
                       #"duplicate "query" key in the JSON body"#)
        XCTAssertEqual(unreadable(request(body: #"[{"query": "{ me }"}, {"query": "{ a }", "query": "{ b }"}]"#)),
                       #"duplicate "query" key in the JSON body"#)
        XCTAssertEqual(unreadable(request(body: #"{"query": "{ me }", "QUERY": "mutation { volumeDelete }"}"#)),
                       #"a "QUERY" key, which Go's JSON reader takes for "query""#)
        XCTAssertEqual(unreadable(request(body: #"{"query": "{ me }", "\u017Fquery": 1, "Query": "{ a }"}"#)),
                       #"a "Query" key, which Go's JSON reader takes for "query""#)
        let form = [("content-type", "application/x-www-form-urlencoded")]
        XCTAssertEqual(unreadable(request(headers: form, body: "query=%7Bme%7D&query=mutation%7BvolumeDelete%7D")),
                       #"duplicate "query" parameter in the form body"#)
        XCTAssertEqual(unreadable(request("GET", "/graphql?query=%7Bme%7D&query=mutation%7BvolumeDelete%7D", headers: [])),
                       #"duplicate "query" parameter in the URL"#)
        XCTAssertEqual(unreadable(request(headers: [("content-type", "application/json")] + form, body: #"{"query": "{ me }"}"#)),
                       #"duplicate "Content-Type" header"#)
    }

    func testTheBodyAsTheServerReadsItIsWhatRulesRead() throws {
        // {"query": "mutation { volumeDelete }"}, gzipped.
        let gzipped: [UInt8] = [0x1f, 0x8b, 0x8, 0x0, 0x0, 0x0, 0x0, 0x0, 0x2, 0x3, 0xab, 0x56, 0x2a, 0x2c, 0x4d, 0x2d, 0xaa, 0x54, 0xb2,
                                0x52, 0x50, 0xca, 0x2d, 0x2d, 0x49, 0x2c, 0xc9, 0xcc, 0xcf, 0x53, 0xa8, 0x56, 0x28, 0xcb, 0xcf, 0x29,
                                0xcd, 0x4d, 0x75, 0x49, 0xcd, 0x49, 0x2d, 0x49, 0x55, 0xa8, 0x55, 0xaa, 0x5, 0x0, 0x14, 0xc1, 0x37,
                                0x47, 0x26, 0x0, 0x0, 0x0]
        var r = InspectedRequest(host: "api.test", method: "POST", target: "/graphql",
                                 headers: [("content-type", "application/json"), ("content-encoding", "gzip")], body: gzipped)
        r.decodedBody = try ContentCoding.decode(r, limit: 1 << 20)
        guard case .success(let ops) = GraphQLExtraction.operations(in: r) else { return XCTFail("gzip body unread") }
        XCTAssertEqual(ops, [GraphQLOperation(type: "mutation", name: nil, fields: ["volumeDelete"])])
        XCTAssertThrowsError(try ContentCoding.decode(r, limit: 20)) { error in
            XCTAssertEqual((error as? ContentCoding.Failure)?.message, "its decompressed body is larger than Interlock inspects")
        }
        r.body = gzipped + gzipped.prefix(5)
        XCTAssertThrowsError(try ContentCoding.decode(r, limit: 1 << 20))  // a truncated second member
        r.headers[1].1 = "br"
        XCTAssertThrowsError(try ContentCoding.decode(r, limit: 1 << 20))
        // Action=DeleteVpc as zlib and as raw deflate: both are what servers read as "deflate".
        let zlibbed: [UInt8] = [0x78, 0x9c, 0x73, 0x4c, 0x2e, 0xc9, 0xcc, 0xcf, 0xb3, 0x75, 0x49, 0xcd, 0x49, 0x2d, 0x49, 0xd, 0x2b,
                                0x48, 0x6, 0x0, 0x32, 0xe5, 0x6, 0x18]
        for body in [zlibbed, Array(zlibbed[2..<20])] {
            let deflated = InspectedRequest(host: "api.test", method: "POST", target: "/", headers: [("content-encoding", "deflate")], body: body)
            XCTAssertEqual(try ContentCoding.decode(deflated, limit: 100).map { String(decoding: $0, as: UTF8.self) }, "Action=DeleteVpc")
        }
    }

    let awsRules = RequestRules(rules: [
        HTTPRuleEntry(host: "*.amazonaws.com", action: .deny, headers: ["x-amz-target": "*.Delete*"], source: "t:1"),
        { var r = HTTPRuleEntry(host: "*.amazonaws.com", action: .deny, source: "t:2"); r.params = ["Action": "Delete*"]; return r }(),
        HTTPRuleEntry(host: "*", action: .deny, methods: ["DELETE"], path: "/repos/*/*", source: "t:3"),
    ])

    func aws(_ method: String = "POST", _ target: String = "/", headers: [(String, String)], body: String = "") -> RuleDecision {
        awsRules.decide(InspectedRequest(host: "ec2.amazonaws.com", method: method, target: target, headers: headers, body: Array(body.utf8)))
    }

    func testDuplicateHeadersAndParametersARuleReadsAreRefused() {
        let twice = aws(headers: [("x-amz-target", "DynamoDB.ListTables"), ("x-amz-target", "DynamoDB.DeleteTable")])
        XCTAssertEqual(twice.action, .deny)
        XCTAssertEqual(twice.problem, #"duplicate "X-Amz-Target" header"#)
        let form = [("content-type", "application/x-www-form-urlencoded")]
        XCTAssertEqual(aws("POST", "/?Action=DescribeVpcs", headers: form, body: "Action=DeleteVpc").problem, #"duplicate "Action" parameter"#)
        XCTAssertEqual(aws(headers: form, body: "Action=DescribeVpcs&Action=DescribeVpcs").problem, #"duplicate "Action" parameter"#)
        XCTAssertEqual(aws(headers: form + form, body: "Action=DeleteVpc").problem, #"duplicate "Content-Type" header"#)
        XCTAssertEqual(aws(headers: form, body: "Act%69on=DeleteVpc").action, .deny)
        XCTAssertEqual(aws(headers: form, body: "Action=DescribeVpcs").action, .allow)
    }

    func testMethodAndPathAreMatchedInEveryReadingAServerMightUse() {
        for (method, target, headers) in [("DELETE", "/rep%6Fs/o/r", []), ("DELETE", "/repos/o/r/", []), ("DELETE", "//repos//o/r", []),
                                          ("DELETE", "/repos/o/x/../r", []), ("DELETE", "/repos/o/x/%2e%2e/r", []),
                                          ("DELETE", "/repos/o/r;v=1", []), ("DELETE", "/REPOS/o/r", []),
                                          ("POST", "/repos/o/r", [("x-http-method-override", "delete")]),
                                          ("POST", "/repos/o/r?_method=DELETE", [])] as [(String, String, [(String, String)])] {
            XCTAssertEqual(aws(method, target, headers: headers).action, .deny, "\(method) \(target)")
        }
        XCTAssertEqual(aws("GET", "/repos/o/r", headers: []).action, .allow)
        XCTAssertEqual(aws("DELETE", "/repos/o/r/issues", headers: []).action, .allow)
    }

    func finding(_ headers: [(String, String)] = [], target: String = "/", body: String = "") -> String? {
        FoundTokens(hiddenValues: []).find(in: InspectedRequest(host: "api.test", method: "POST", target: target, headers: headers,
                                                                body: Array(body.utf8))).map { "\($0.kind) in \($0.location)" }
    }

    func testFoundTokensAreSeenAfterEveryDecodingAServerApplies() {
        let token = "ghp_" + "Zq8Lm3Xv7Rt1Nb5Kc9Wd2Fg6Hj0Pa4Se2Uy8"
        // base64("x-access-token:" + token), and base64(token + ":x") unpadded.
        let basic = "Basic eC1hY2Nlc3MtdG9rZW46Z2hwX1pxOExtM1h2N1J0MU5iNUtjOVdkMkZnNkhqMFBhNFNlMlV5OA=="
        XCTAssertEqual(finding([("authorization", basic)]), "GitHub token in the Authorization header")
        XCTAssertEqual(finding([("authorization", "basic Z2hwX1pxOExtM1h2N1J0MU5iNUtjOVdkMkZnNkhqMFBhNFNlMlV5ODp4")]),
                       "GitHub token in the Authorization header")
        let escaped = token.unicodeScalars.map { "\\u00" + String($0.value, radix: 16) }.joined()
        XCTAssertEqual(finding(body: #"{"t": ""# + escaped + #""}"#), "GitHub token in the body")
        let percent = token.utf8.map { "%" + String($0, radix: 16) }.joined()
        XCTAssertEqual(finding([("cookie", "t=" + percent)]), "GitHub token in the Cookie header")
        XCTAssertEqual(finding([("cookie", #"t="\147\150\160_"# + token.dropFirst(4) + "\"")]), "GitHub token in the Cookie header")
        XCTAssertEqual(finding(target: "/t/" + percent), "GitHub token in the URL")
        XCTAssertEqual(finding(body: "p=" + "%22%5Cu0067" + token.dropFirst(1) + "%22"), "GitHub token in the body")
        XCTAssertNil(finding([("authorization", "Basic dXNlcjpwYXNzd29yZA==")], body: #"{"a": "\u0067"}"#))
    }
}
