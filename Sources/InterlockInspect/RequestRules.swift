import InterlockProfile

/// One HTTP request on an inspected host, complete (body buffered) before anything is decided.
struct InspectedRequest {
    var host: String
    var method: String
    /// The request target as sent (origin-form: path and query).
    var target: String
    /// Lowercased names, values as received, in order.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// The body was larger than the inspection limit (and `body` is empty).
    var bodyTooLarge = false

    var path: String { String(target.prefix { $0 != "?" }) }
    var query: Substring? { target.firstIndex(of: "?").map { target[target.index(after: $0)...] } }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// What the rules say about one request.
struct RuleDecision {
    var action: HTTPRuleEntry.Action
    /// The deciding rule (nil: no rule matched, allowed by default).
    var rule: HTTPRuleEntry?
    /// What was matched, in words: `mutation volumeDelete`, `DELETE /v1/volumes/7`.
    var what: String
    /// Why a request was refused without a rule saying so (body unreadable, too large).
    var problem: String?
}

/// The `[[http]]` rules of one run, grouped by host.
struct RequestRules {
    let rules: [HTTPRuleEntry]
    static let methodsWithoutBody: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    func rules(for host: String) -> [HTTPRuleEntry] {
        rules.filter { HostPattern.matches($0.host, host) }
    }

    /// Every matching rule counts; the most restrictive wins (deny, then ask, then allow).
    func decide(_ request: InspectedRequest) -> RuleDecision {
        let candidates = rules(for: request.host)
        let plain = "\(request.method) \(request.path)"
        var best: RuleDecision?
        func consider(_ decision: RuleDecision) {
            guard let current = best else { best = decision; return }
            if Self.rank(decision.action) > Self.rank(current.action) { best = decision }
        }
        var operations: Result<[GraphQLOperation], GraphQLExtraction.Failure>?
        for rule in candidates {
            guard rule.methods.isEmpty || rule.methods.contains(request.method.uppercased()) else { continue }
            if let path = rule.path, !Glob.matches(path, request.path, pathMode: true) { continue }
            var headersMatch = true
            for (name, pattern) in rule.headers {
                guard let value = request.header(name), Glob.matches(pattern, value, pathMode: false) else { headersMatch = false; break }
            }
            guard headersMatch else { continue }
            if !rule.params.isEmpty {
                if request.bodyTooLarge {
                    consider(RuleDecision(action: .deny, rule: rule, what: plain, problem: "the body is larger than Interlock inspects"))
                    continue
                }
                let fields = Self.parameters(of: request)
                let matched = rule.params.allSatisfy { name, pattern in
                    fields.contains { $0.0 == name && Glob.matches(pattern, $0.1, pathMode: false) }
                }
                guard matched else { continue }
                if rule.graphql.isEmpty {
                    let shown = rule.params.keys.sorted().compactMap { name in fields.first { $0.0 == name }.map { "\(name)=\($0.1)" } }
                    consider(RuleDecision(action: rule.action, rule: rule, what: "\(request.method) \(shown.joined(separator: " "))"))
                    continue
                }
            }
            guard !rule.graphql.isEmpty else {
                consider(RuleDecision(action: rule.action, rule: rule, what: plain))
                continue
            }
            if operations == nil { operations = GraphQLExtraction.operations(in: request) }
            switch operations {
            case .success(let ops):
                if let hit = Self.firstMatch(rule.graphql, ops) { consider(RuleDecision(action: rule.action, rule: rule, what: hit)) }
            case .failure(.notGraphQL), nil:
                continue
            case .failure(.unreadable(let problem)):
                // A rule that needs the body cannot be satisfied: fail closed.
                consider(RuleDecision(action: .deny, rule: rule, what: "a GraphQL request (\(plain))", problem: problem))
            }
        }
        return best ?? RuleDecision(action: .allow, rule: nil, what: plain)
    }

    /// URL query parameters, then form body fields.
    static func parameters(of request: InspectedRequest) -> [(String, String)] {
        var fields = request.query.map { FormEncoding.fields($0) } ?? []
        if (request.header("content-type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") {
            fields += FormEncoding.fields(String(decoding: request.body, as: UTF8.self)[...])
        }
        return fields
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

enum HostPattern {
    /// `name` exactly, or `*.suffix` for any name below suffix.
    static func matches(_ pattern: String, _ host: String) -> Bool {
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

    static func operations(in request: InspectedRequest) -> Result<[GraphQLOperation], Failure> {
        if request.bodyTooLarge { return .failure(.unreadable("the body is larger than Interlock inspects")) }
        var documents: [String] = []
        if !request.body.isEmpty {
            let type = (request.header("content-type") ?? "").lowercased()
            if type.hasPrefix("application/graphql") {
                documents.append(String(decoding: request.body, as: UTF8.self))
            } else if type.hasPrefix("application/x-www-form-urlencoded") {
                let form = FormEncoding.fields(String(decoding: request.body, as: UTF8.self)[...])
                guard let query = form.first(where: { $0.0 == "query" })?.1 else {
                    return .failure(.unreadable("the form body has no 'query' field"))
                }
                documents.append(query)
            } else if type.hasPrefix("multipart/") {
                return .failure(.unreadable("multipart GraphQL requests are not inspected"))
            } else {
                guard let json = JSONNode.parse(request.body) else { return .failure(.unreadable("the body is not valid JSON")) }
                let items: [JSONNode]
                if case .array(let batch) = json { items = batch } else { items = [json] }
                guard !items.isEmpty else { return .failure(.unreadable("an empty batch")) }
                for item in items {
                    guard let query = item["query"]?.string else {
                        return .failure(.unreadable("a request without a 'query' text (persisted queries are not inspected)"))
                    }
                    documents.append(query)
                }
            }
        }
        if let query = request.query, let text = FormEncoding.fields(query).first(where: { $0.0 == "query" })?.1 {
            documents.append(text)
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

enum FormEncoding {
    /// `a=1&b=x%20y` → [("a", "1"), ("b", "x y")].
    static func fields(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        var out: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x2B { out.append(0x20); i += 1; continue }
            if b[i] == 0x25, i + 2 < b.count, let v = UInt8(String(decoding: b[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
