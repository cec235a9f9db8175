import InterlockProfile

/// One HTTP request on an inspected host, complete (body buffered) before anything is decided.
package struct InspectedRequest {
    package var host: String
    package var method: String
    /// The request target as sent (origin-form: path and query).
    package var target: String
    /// Lowercased names, values as received, in order.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// The body was larger than the inspection limit (and `body` is empty).
    package var bodyTooLarge = false
    /// The first bytes of a body over the limit (so that a refused git push can name its refs).
    package var bodyPrefix: [UInt8] = []
    /// The body with its Content-Encoding undone, when it has one.
    package var decodedBody: [UInt8]?

    package init(host: String, method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.host = host
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    package var path: String { String(target.prefix { $0 != "?" }) }
    var query: Substring? { target.firstIndex(of: "?").map { target[target.index(after: $0)...] } }
    /// The body as the server reads it.
    var content: [UInt8] { decodedBody ?? body }

    package func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// `duplicate "Content-Type" header` when a header a reader needs is sent twice: servers
    /// take the first, the last, or both.
    func duplicateHeader(_ name: String) -> String? {
        headers.lazy.filter { $0.name == name }.count > 1 ? "duplicate \"\(FoundTokens.display(name))\" header" : nil
    }
}

/// What the rules say about one request.
package struct RuleDecision {
    package var action: HTTPRuleEntry.Action
    /// The deciding rule (nil: no rule matched, allowed by default).
    package var rule: HTTPRuleEntry?
    /// What was matched, in words: `mutation volumeDelete`, `DELETE /v1/volumes/7`.
    package var what: String
    /// Why a request was refused without a rule saying so (body unreadable, too large).
    package var problem: String?
}

/// The `[[http]]` rules of one run, grouped by host.
package struct RequestRules {
    let rules: [HTTPRuleEntry]
    package static let methodsWithoutBody: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    func rules(for host: String) -> [HTTPRuleEntry] {
        rules.filter { HostPattern.matches($0.host, host) }
    }

    package init(rules: [HTTPRuleEntry]) { self.rules = rules }

    /// Every matching rule counts; the most restrictive wins (deny, then ask, then allow).
    package func decide(_ request: InspectedRequest) -> RuleDecision {
        var best: RuleDecision?
        var reading = Reading(request: request)
        for rule in rules(for: request.host) {
            guard let decision = reading.decision(of: rule) else { continue }
            if best.map({ Self.rank(decision.action) > Self.rank($0.action) }) ?? true { best = decision }
        }
        return best ?? RuleDecision(action: .allow, rule: nil, what: reading.plain)
    }

    /// One request as the rules read it; each reading made once, when a rule first needs it.
    struct Reading {
        let request: InspectedRequest
        lazy var plain = "\(request.method) \(request.path)"
        lazy var methods = RequestReadings.methods(of: request)
        lazy var paths = RequestReadings.paths(of: request)
        lazy var operations = GraphQLExtraction.operations(in: request)

        /// What `rule` decides, nil if it does not match. A rule that needs a part of the
        /// request with no one reading refuses it.
        mutating func decision(of rule: HTTPRuleEntry) -> RuleDecision? {
            guard rule.methods.isEmpty || !methods.isDisjoint(with: rule.methods) else { return nil }
            if let path = rule.path, !paths.contains(where: { Glob.matches(path, $0, pathMode: true) }) { return nil }
            if let problem = rule.headers.keys.sorted().compactMap({ request.duplicateHeader($0) }).first {
                return RuleDecision(action: .deny, rule: rule, what: plain, problem: problem)
            }
            for (name, pattern) in rule.headers {
                guard let value = request.header(name), Glob.matches(pattern, value, pathMode: false) else { return nil }
            }
            if !rule.params.isEmpty {
                if let problem = RequestRules.parameterProblem(request, names: rule.params.keys) {
                    return RuleDecision(action: .deny, rule: rule, what: plain, problem: problem)
                }
                let fields = RequestRules.parameters(of: request)
                let matched = rule.params.allSatisfy { name, pattern in
                    fields.contains { $0.0 == name && Glob.matches(pattern, $0.1, pathMode: false) }
                }
                guard matched else { return nil }
                if rule.graphql.isEmpty {
                    let shown = rule.params.keys.sorted().compactMap { name in fields.first { $0.0 == name }.map { "\(name)=\($0.1)" } }
                    return RuleDecision(action: rule.action, rule: rule, what: "\(request.method) \(shown.joined(separator: " "))")
                }
            }
            guard !rule.graphql.isEmpty else { return RuleDecision(action: rule.action, rule: rule, what: plain) }
            switch operations {
            case .success(let ops):
                return RequestRules.firstMatch(rule.graphql, ops).map { RuleDecision(action: rule.action, rule: rule, what: $0) }
            case .failure(.notGraphQL):
                return nil
            case .failure(.unreadable(let problem)):
                // A rule that needs the body cannot be satisfied: fail closed.
                return RuleDecision(action: .deny, rule: rule, what: "a GraphQL request (\(plain))", problem: problem)
            }
        }
    }

    /// URL query parameters, then form body fields.
    static func parameters(of request: InspectedRequest) -> [(String, String)] {
        var fields = request.query.map { FormEncoding.fields($0) } ?? []
        if (request.header("content-type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") {
            fields += FormEncoding.fields(String(decoding: request.content, as: UTF8.self)[...])
        }
        return fields
    }

    /// Why the parameters `names` have no one reading: the body was not read, the content type
    /// is sent twice, or a name is (in the URL and the form together: servers take the first,
    /// the last, or all of them).
    static func parameterProblem(_ request: InspectedRequest, names: some Collection<String>) -> String? {
        if request.bodyTooLarge { return "the body is larger than Interlock inspects" }
        if let problem = request.duplicateHeader("content-type") { return problem }
        let fields = parameters(of: request)
        for name in names.sorted() where fields.lazy.filter({ $0.0 == name }).count > 1 {
            return "duplicate \"\(JSONNode.shown(name))\" parameter"
        }
        return nil
    }

    static func rank(_ action: HTTPRuleEntry.Action) -> Int {
        switch action { case .allow: 0; case .ask: 1; case .deny: 2 }
    }

    /// `mutation volumeDelete` for the first operation field a pattern matches.
    static func firstMatch(_ patterns: [String], _ operations: [GraphQLOperation]) -> String? {
        for pattern in patterns {
            guard let (type, field) = GraphQLPattern.split(pattern) else { continue }
            for operation in operations where type == "*" || type == operation.type {
                if let name = operation.fields.first(where: { Glob.matches(field, $0, pathMode: false) }) {
                    return "\(operation.type) \(name)"
                }
            }
        }
        return nil
    }
}

package enum HostPattern {
    /// `name` exactly, or `*.suffix` for any name below suffix.
    package static func matches(_ pattern: String, _ host: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
        return pattern == host
    }
}

enum Glob {
    /// `*` matches any run of characters (within one path segment when `pathMode`); `**`
    /// matches across segments. Everything else literally.
    static func matches(_ pattern: String, _ text: String, pathMode: Bool) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        func match(_ pi: Int, _ ti: Int) -> Bool {
            var pi = pi, ti = ti
            while pi < p.count {
                if p[pi] == 0x2A {
                    let double = pi + 1 < p.count && p[pi + 1] == 0x2A
                    let next = pi + (double ? 2 : 1)
                    if next == p.count { return double || !pathMode || !t[ti...].contains(0x2F) }
                    var k = ti
                    while k <= t.count {
                        if match(next, k) { return true }
                        if k < t.count, pathMode, !double, t[k] == 0x2F { return false }
                        k += 1
                    }
                    return false
                }
                guard ti < t.count, p[pi] == t[ti] else { return false }
                pi += 1
                ti += 1
            }
            return ti == t.count
        }
        return match(0, 0)
    }
}

/// Finds the GraphQL documents of a request: a JSON body (`{"query": …}` or a batched array of
/// them), `application/graphql`, a form body or the URL's `query=` parameter.
enum GraphQLExtraction {
    enum Failure: Error {
        /// Nothing that could carry GraphQL (no body, no `query` parameter).
        case notGraphQL
        /// It could, but it cannot be read: refused by any rule that needs it.
        case unreadable(String)
    }

    /// A document is read only where every server reads the same one: a JSON body with a key
    /// twice, or a `query` parameter given twice, is unreadable.
    static func operations(in request: InspectedRequest) -> Result<[GraphQLOperation], Failure> {
        if request.bodyTooLarge { return .failure(.unreadable("the body is larger than Interlock inspects")) }
        var documents: [String] = []
        if !request.body.isEmpty {
            if let problem = request.duplicateHeader("content-type") { return .failure(.unreadable(problem)) }
            switch bodyDocuments(request) {
            case .success(let found): documents += found
            case .failure(let failure): return .failure(failure)
            }
        }
        if let query = request.query {
            let texts = FormEncoding.fields(query).filter { $0.0 == "query" }
            guard texts.count < 2 else { return .failure(.unreadable("duplicate \"query\" parameter in the URL")) }
            documents += texts.map(\.1)
        }
        guard !documents.isEmpty else { return .failure(.notGraphQL) }
        var operations: [GraphQLOperation] = []
        for document in documents {
            do {
                operations += try GraphQLDocument.operations(document)
            } catch {
                return .failure(.unreadable("the GraphQL document does not parse: \(error.message)"))
            }
        }
        return .success(operations)
    }
}

extension GraphQLExtraction {
    static func bodyDocuments(_ request: InspectedRequest) -> Result<[String], Failure> {
        let type = (request.header("content-type") ?? "").lowercased()
        if type.hasPrefix("application/graphql") {
            return .success([String(decoding: request.content, as: UTF8.self)])
        }
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let queries = FormEncoding.fields(String(decoding: request.content, as: UTF8.self)[...]).filter { $0.0 == "query" }
            guard queries.count < 2 else { return .failure(.unreadable("duplicate \"query\" parameter in the form body")) }
            guard let query = queries.first?.1 else { return .failure(.unreadable("the form body has no 'query' field")) }
            return .success([query])
        }
        if type.hasPrefix("multipart/") {
            return .failure(.unreadable("multipart GraphQL requests are not inspected"))
        }
        let json: JSONNode
        do {
            json = try JSONNode.read(request.content)
        } catch {
            return .failure(.unreadable(error.ambiguous ? "\(error.message) in the JSON body" : "the body is not valid JSON (\(error.message))"))
        }
        let items: [JSONNode]
        if case .array(let batch) = json { items = batch } else { items = [json] }
        guard !items.isEmpty else { return .failure(.unreadable("an empty batch")) }
        var documents: [String] = []
        for item in items {
            if let other = item.keys.first(where: { $0 != "query" && JSONNode.foldedKey($0) == "query" }) {
                return .failure(.unreadable("a \"\(JSONNode.shown(other))\" key, which Go's JSON reader takes for \"query\""))
            }
            guard let query = item["query"]?.string else {
                return .failure(.unreadable("a request without a 'query' text (persisted queries are not inspected)"))
            }
            documents.append(query)
        }
        return .success(documents)
    }
}

enum FormEncoding {
    /// `a=1&b=x%20y` → [("a", "1"), ("b", "x y")].
    static func fields(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Percent-escapes decoded, and `+` as a space unless `plusIsSpace` is false (paths).
    static func decode(_ text: Substring, plusIsSpace: Bool = true) -> String {
        String(decoding: decodeBytes(Array(text.utf8)[...], plusIsSpace: plusIsSpace), as: UTF8.self)
    }

    static func decodeBytes(_ b: ArraySlice<UInt8>, plusIsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = b.startIndex
        while i < b.endIndex {
            if plusIsSpace, b[i] == 0x2B { out.append(0x20); i += 1; continue }
            if b[i] == 0x25, i + 2 < b.endIndex, let high = hexValue(b[i + 1]), let low = hexValue(b[i + 2]) {
                out.append(high << 4 | low)
                i += 3
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
