@testable import InterlockInspect
@testable import InterlockInspectReaders
import InterlockJSON
import InterlockProfile
import XCTest

final class GraphQLTests: XCTestCase {
    func ops(_ text: String) throws -> [GraphQLOperation] { try GraphQLDocument.operations(text) }

    func testShorthandQueryAndNamedOperations() throws {
        XCTAssertEqual(try ops("{ me { id } }"), [GraphQLOperation(type: "query", name: nil, fields: ["me"])])
        let two = try ops("""
            query Q($id: ID!) @cached { project(id: $id) { name } viewer { id } }
            mutation M { volumeDelete(volumeId: "v") }
            """)
        XCTAssertEqual(two.map(\.type), ["query", "mutation"])
        XCTAssertEqual(two[0].fields, ["project", "viewer"])
        XCTAssertEqual(two[1], GraphQLOperation(type: "mutation", name: "M", fields: ["volumeDelete"]))
    }

    func testAliasesAreSeenThrough() throws {
        XCTAssertEqual(try ops(#"mutation { keep: volumeDelete(volumeId: "v") other: serviceDelete(id: "s") }"#)[0].fields,
                       ["volumeDelete", "serviceDelete"])
    }

    func testFragmentsAndInlineFragmentsAtTheTopLevel() throws {
        let document = """
            mutation { ...A ... on Mutation { projectDelete(id: "p") } }
            fragment A on Mutation { volumeDelete(volumeId: "v") ...B }
            fragment B on Mutation { ...A environmentDelete(id: "e") }
            """
        XCTAssertEqual(try ops(document)[0].fields, ["volumeDelete", "environmentDelete", "projectDelete"])
    }

    func testStringsCommentsAndNestedValuesDoNotConfuse() throws {
        let document = #"""
            # mutation { volumeDelete }
            mutation {
              a: serviceUpdate(input: {name: "} volumeDelete {", tags: ["x", "y"], note: """block } "quoted" """}) { id }
            }
            """#
        XCTAssertEqual(try ops(document)[0].fields, ["serviceUpdate"])
    }

    func testMalformedDocumentsThrow() {
        for bad in ["", "mutation {", "mutation { a(b: ) ", "type Query { a: Int }", "{ ...Missing }", "{ }", "mutation { a } }"] {
            XCTAssertThrowsError(try ops(bad), bad)
        }
    }

    func request(_ body: String, method: String = "POST", target: String = "/graphql", contentType: String = "application/json") -> InspectedRequest {
        InspectedRequest(host: "api.test", method: method, target: target, headers: [("content-type", contentType)], body: Array(body.utf8))
    }

    func testExtractionFromJSONBatchesFormsAndURLs() throws {
        guard case .success(let batch) = GraphQLExtraction.operations(in: request(#"[{"query":"{ me { id } }"},{"query":"mutation { volumeDelete(volumeId: \"v\") }"}]"#)) else {
            return XCTFail("batch")
        }
        XCTAssertEqual(batch.map(\.type), ["query", "mutation"])
        guard case .success(let form) = GraphQLExtraction.operations(in: request("query=mutation+%7B+serviceDelete%28id%3A1%29+%7D",
                                                                                  contentType: "application/x-www-form-urlencoded")) else {
            return XCTFail("form")
        }
        XCTAssertEqual(form[0].fields, ["serviceDelete"])
        guard case .success(let get) = GraphQLExtraction.operations(in: request("", method: "GET", target: "/graphql?query=%7Bme%7Bid%7D%7D")) else {
            return XCTFail("get")
        }
        XCTAssertEqual(get[0].fields, ["me"])
        guard case .failure(.notGraphQL) = GraphQLExtraction.operations(in: request("", method: "GET", target: "/health")) else {
            return XCTFail("health")
        }
        for unreadable in [#"{"extensions":{}}"#, "not json", "[]", #"{"query": "mutation {"}"#] {
            guard case .failure(.unreadable) = GraphQLExtraction.operations(in: request(unreadable)) else { return XCTFail(unreadable) }
        }
        var big = request("{}")
        big.bodyTooLarge = true
        guard case .failure(.unreadable) = GraphQLExtraction.operations(in: big) else { return XCTFail("too large") }
    }
}

final class RequestRulesTests: XCTestCase {
    func rule(_ action: HTTPRuleEntry.Action, methods: [String] = [], path: String? = nil, headers: [String: String] = [:],
              graphql: [String] = [], host: String = "api.test") -> HTTPRuleEntry {
        HTTPRuleEntry(host: host, action: action, methods: methods, path: path, headers: headers, graphql: graphql, source: "p.toml:1")
    }

    func request(_ method: String, _ target: String, body: String = "", headers: [(String, String)] = []) -> InspectedRequest {
        InspectedRequest(host: "api.test", method: method, target: target, headers: headers, body: Array(body.utf8))
    }

    func testMostRestrictiveMatchingRuleWins() {
        let rules = RequestRules(rules: [rule(.allow), rule(.ask, methods: ["POST"]), rule(.deny, graphql: ["mutation *Delete"])])
        XCTAssertEqual(rules.decide(request("GET", "/x")).action, .allow)
        XCTAssertEqual(rules.decide(request("POST", "/graphql", body: #"{"query":"{ me { id } }"}"#)).action, .ask)
        let denied = rules.decide(request("POST", "/graphql", body: #"{"query":"mutation { x: volumeDelete(volumeId: \"v\") }"}"#))
        XCTAssertEqual(denied.action, .deny)
        XCTAssertEqual(denied.what, "mutation volumeDelete")
    }

    func testUnreadableBodyIsDeniedOnlyByRulesThatNeedIt() {
        let rules = RequestRules(rules: [rule(.deny, graphql: ["mutation volumeDelete"])])
        let unreadable = rules.decide(request("POST", "/graphql", body: "{"))
        XCTAssertEqual(unreadable.action, .deny)
        XCTAssertNotNil(unreadable.problem)
        XCTAssertEqual(rules.decide(request("GET", "/health")).action, .allow)
        XCTAssertEqual(RequestRules(rules: [rule(.deny, methods: ["DELETE"])]).decide(request("POST", "/graphql", body: "{")).action, .allow)
    }

    func testMethodPathHeaderAndHostMatching() {
        let rules = RequestRules(rules: [
            rule(.deny, methods: ["DELETE"], path: "/repos/*/*"),
            rule(.deny, path: "/api/**/namespaces/*", headers: ["x-env": "prod*"]),
            rule(.deny, host: "*.k8s.test"),
        ])
        XCTAssertEqual(rules.decide(request("DELETE", "/repos/me/app")).action, .deny)
        XCTAssertEqual(rules.decide(request("DELETE", "/repos/me/app/issues/1")).action, .allow)
        XCTAssertEqual(rules.decide(request("GET", "/api/v1/x/namespaces/a?watch=1", headers: [("x-env", "production")])).action, .deny)
        XCTAssertEqual(rules.decide(request("GET", "/api/v1/x/namespaces/a", headers: [("x-env", "staging")])).action, .allow)
        var other = request("GET", "/")
        other.host = "c1.k8s.test"
        XCTAssertEqual(rules.decide(other).action, .deny)
    }

    func testGlob() {
        XCTAssertTrue(Glob.matches("*Delete", "volumeDelete", pathMode: false))
        XCTAssertFalse(Glob.matches("*Delete", "volumeDeleted", pathMode: false))
        XCTAssertTrue(Glob.matches("/v1/**", "/v1/a/b", pathMode: true))
        XCTAssertFalse(Glob.matches("/v1/*", "/v1/a/b", pathMode: true))
        XCTAssertTrue(Glob.matches("/v1/*/b", "/v1/a/b", pathMode: true))
    }

    func testJSONPointer() {
        let node = RequestJSON.parse(Array(#"{"a": {"b/c": [1, {"t": "x\u00e9"}]}, "n": 1.5e3}"#.utf8))
        XCTAssertEqual(node?.pointer("/a/b~1c/1/t"), .string("xé"))
        XCTAssertEqual(CredentialSource.jsonValue(#"{"n": 1.5e3}"#, pointer: "/n"), "1.5e3")
        XCTAssertNil(node?.pointer("/a/missing"))
        XCTAssertNil(RequestJSON.parse(Array(#"{"a": }"#.utf8)))
    }

    func testFoundTokensNameTheKindAndPlaceNeverTheValue() {
        let tokens = FoundTokens(hiddenValues: ["6c2f1a0e-5b7d-4e3a-9c1b-2d8f7e6a5b4c"])
        let github = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
        let inHeader = tokens.find(in: request("GET", "/", headers: [("x-api-key", github)]))
        XCTAssertEqual(inHeader?.kind, "GitHub token")
        XCTAssertEqual(inHeader?.location, "the X-Api-Key header")
        XCTAssertEqual(tokens.find(in: request("GET", "/q?t=" + github))?.location, "the URL")
        let hidden = tokens.find(in: request("POST", "/", body: #"{"token":"6c2f1a0e-5b7d-4e3a-9c1b-2d8f7e6a5b4c"}"#))
        XCTAssertEqual(hidden?.kind, "credential from a file Interlock hid")
        XCTAssertNil(tokens.find(in: request("POST", "/graphql", body: #"{"query":"{ me { id } }"}"#, headers: [("user-agent", "curl/7.88")])))
    }

    func testCertificateAuthorityMintsAndCaches() throws {
        let ca = try CertificateAuthority(runID: "test")
        XCTAssertTrue(ca.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let a = try ca.serverContext(for: "api.test")
        let b = try ca.serverContext(for: "api.test")
        XCTAssertTrue(a === b)
    }

    func testRulePacksDecide() throws {
        func pack(_ name: String) throws -> RequestRules {
            let dir = "/tmp/interlock-pack-\(UInt32.random(in: 0...UInt32.max))"
            mkdir(dir, 0o755)
            defer { unlink(dir + "/p.toml"); rmdir(dir) }
            let text = "extends = [\"\(name)\"]\n"
            _ = text.withCString { c in fopen(dir + "/p.toml", "w").map { f in fputs(c, f); fclose(f) } }
            return RequestRules(rules: try ProfileLoader.load(reference: dir + "/p.toml", searchFrom: dir, environment: nil).inspection.http)
        }
        func on(_ host: String, _ r: InspectedRequest) -> InspectedRequest { var r = r; r.host = host; return r }
        let railway = try pack("rules/railway")
        let incident = on("backboard.railway.app", request("POST", "/graphql/v2", body: #"{"query":"mutation volumeDelete($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"v"}}"#))
        let decision = railway.decide(incident)
        XCTAssertEqual(decision.action, .deny)
        XCTAssertEqual(decision.what, "mutation volumeDelete")
        XCTAssertEqual(railway.decide(on("backboard.railway.app", request("POST", "/graphql/v2", body: #"{"query":"{ me { projects { edges { node { id } } } } }"}"#))).action, .allow)
        XCTAssertEqual(railway.decide(on("backboard.railway.app", request("POST", "/graphql/v2", body: #"{"query":"mutation { deploymentRedeploy(id: \"d\") }"}"#))).action, .ask)

        let aws = try pack("rules/aws")
        XCTAssertEqual(aws.decide(on("ec2.us-east-1.amazonaws.com", request("POST", "/", body: "Action=TerminateInstances&InstanceId.1=i-1",
                                                                          headers: [("content-type", "application/x-www-form-urlencoded")]))).action, .deny)
        XCTAssertEqual(aws.decide(on("ec2.us-east-1.amazonaws.com", request("GET", "/?Action=DescribeInstances"))).action, .allow)
        XCTAssertEqual(aws.decide(on("dynamodb.us-east-1.amazonaws.com", request("POST", "/", headers: [("x-amz-target", "DynamoDB_20120810.DeleteTable")]))).action, .deny)
        XCTAssertEqual(aws.decide(on("s3.amazonaws.com", request("DELETE", "/bucket/key"))).action, .ask)

        let github = try pack("rules/github")
        XCTAssertEqual(github.decide(on("api.github.com", request("DELETE", "/repos/acme/app"))).action, .deny)
        XCTAssertEqual(github.decide(on("api.github.com", request("DELETE", "/repos/acme/app/issues/comments/1"))).action, .ask)
        XCTAssertEqual(github.decide(on("api.github.com", request("GET", "/repos/acme/app"))).action, .allow)

        let kubernetes = try pack("rules/kubernetes")
        XCTAssertEqual(kubernetes.decide(on("k8s.test", request("DELETE", "/api/v1/namespaces/prod/persistentvolumeclaims/data"))).action, .deny)
        XCTAssertEqual(kubernetes.decide(on("k8s.test", request("DELETE", "/apis/apps/v1/namespaces/prod/deployments"))).action, .deny)
        XCTAssertEqual(kubernetes.decide(on("k8s.test", request("GET", "/api/v1/pods"))).action, .allow)
    }
}
