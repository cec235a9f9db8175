/// One `[[http]]` rule. Every matcher that is set must match; the most restrictive matching
/// rule wins (deny, then ask, then allow); a request no rule matches is allowed.
public struct HTTPRuleEntry: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable, CaseIterable { case allow, ask, deny }
    /// `name` or `*.suffix`, lowercased; `*` applies the rule to every host something else
    /// has inspected (it inspects nothing by itself).
    public var host: String
    public var action: Action
    /// Uppercased; empty means any.
    public var methods: [String] = []
    /// A glob on the path (without the query): `*` within a segment, `**` across segments.
    public var path: String?
    /// Lowercased header name → glob on its value (`*` matches anything, including nothing).
    public var headers: [String: String] = [:]
    /// `TYPE FIELD` patterns (`mutation volumeDelete`, `mutation *Delete`, `* *`): TYPE is
    /// query, mutation, subscription or `*`; FIELD a glob on a top-level field's name (not its alias).
    public var graphql: [String] = []
    /// Name → glob on the value of a URL query parameter or `application/x-www-form-urlencoded`
    /// body field of that name (`Action = "Delete*"` for AWS query APIs).
    public var params: [String: String] = [:]
    public var name: String?
    /// `FILE:LINE` of the rule.
    public var source: String

    enum CodingKeys: String, CodingKey { case host, action, methods = "method", path, headers, graphql, params, name, source }

    public init(host: String, action: Action, methods: [String] = [], path: String? = nil, headers: [String: String] = [:],
                graphql: [String] = [], name: String? = nil, source: String) {
        self.host = host
        self.action = action
        self.methods = methods
        self.path = path
        self.headers = headers
        self.graphql = graphql
        self.name = name
        self.source = source
    }

    /// What the messages call it: its name, else where it is.
    public var label: String { name.map { "\"\($0)\" (\(source))" } ?? source }
}

extension HTTPRuleEntry {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(action, forKey: .action)
        try c.encode(methods, forKey: .methods)
        try c.encode(path, forKey: .path)
        try c.encode(headers, forKey: .headers)
        try c.encode(graphql, forKey: .graphql)
        try c.encode(params, forKey: .params)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
    }
}
