import InterlockJSON
import InterlockProfile

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
            return "duplicate \"\(RequestJSON.shown(name))\" parameter"
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
