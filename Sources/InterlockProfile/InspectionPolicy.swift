import InterlockJSON

/// Request rules and credential brokering (`[[http]]`, `[[credentials]]`, and their
/// `[[env.NAME.…]]` forms, plus `[network] upstream_ca / ask_timeout / found_tokens`).
/// A host named by an `http` or `credentials` entry is inspected: the egress proxy terminates
/// its TLS with a per-run CA and checks every request. Other hosts are tunnelled untouched.
public struct InspectionPolicy: Sendable, Codable, Equatable {
    public var http: [HTTPRuleEntry] = []
    public var credentials: [CredentialEntry] = []
    /// Extra trust for the real hosts (tests, private CAs), absolute; the host's store always applies.
    public var upstreamCA: String?
    /// How long an `ask` waits for a human (seconds); then the request is refused.
    public var askTimeout: Int?
    /// What happens to a request on an inspected host that carries a credential the broker did
    /// not inject: `deny` (default), `ask`, or `off`.
    public var foundTokens: String?

    public static let defaultAskTimeout = 120

    enum CodingKeys: String, CodingKey {
        case http, credentials, upstreamCA = "upstream_ca", askTimeout = "ask_timeout", foundTokens = "found_tokens"
    }

    public init() {}

    /// Hosts whose requests are inspected, lowercased, in profile order.
    public var inspectedHosts: [String] {
        var hosts: [String] = []
        for host in http.map(\.host) + credentials.map(\.host) where host != "*" && !hosts.contains(host) { hosts.append(host) }
        return hosts
    }

    public var isActive: Bool { !http.isEmpty || !credentials.isEmpty }
}

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

/// One `[[credentials]]` entry: the supervisor reads the secret and injects `header` into every
/// request to `host`; the sandbox never sees it.
public struct CredentialEntry: Sendable, Codable, Equatable {
    public enum OnPresent: String, Sendable, Codable, CaseIterable { case refuse, strip }
    public var host: String
    public var header: String
    /// The header value; `{token}` stands for the secret (default `{token}`).
    public var value: String
    /// Absolute, or `~/…` (the invoking user's home).
    public var file: String?
    public var jsonPointer: String?
    public var env: String?
    public var onPresent: OnPresent
    public var source: String

    enum CodingKeys: String, CodingKey {
        case host, header, value, file, jsonPointer = "json_pointer", env, onPresent = "on_present", source
    }

    public init(host: String, header: String, value: String = "{token}", file: String? = nil, jsonPointer: String? = nil,
                env: String? = nil, onPresent: OnPresent = .refuse, source: String) {
        self.host = host
        self.header = header
        self.value = value
        self.file = file
        self.jsonPointer = jsonPointer
        self.env = env
        self.onPresent = onPresent
        self.source = source
    }
}

extension InspectionPolicy {
    var json: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let rules: [JSONValue] = http.map { rule in
            let fields: [String: JSONValue] = [
                "host": .string(rule.host), "action": .string(rule.action.rawValue), "method": .strings(rule.methods),
                "path": optional(rule.path), "headers": .sortedObject(rule.headers.mapValues(JSONValue.string)),
                "graphql": .strings(rule.graphql), "params": .sortedObject(rule.params.mapValues(JSONValue.string)),
                "name": optional(rule.name), "source": .string(rule.source),
            ]
            return .sortedObject(fields)
        }
        let entries: [JSONValue] = credentials.map { entry in
            let fields: [String: JSONValue] = [
                "host": .string(entry.host), "header": .string(entry.header), "value": .string(entry.value),
                "file": optional(entry.file), "json_pointer": optional(entry.jsonPointer), "env": optional(entry.env),
                "on_present": .string(entry.onPresent.rawValue), "source": .string(entry.source),
            ]
            return .sortedObject(fields)
        }
        let timeout: JSONValue = askTimeout.map { JSONValue.number(String($0)) } ?? .null
        let fields: [String: JSONValue] = [
            "http": .array(rules), "credentials": .array(entries), "upstream_ca": optional(upstreamCA),
            "ask_timeout": timeout, "found_tokens": optional(foundTokens),
        ]
        return .sortedObject(fields)
    }
}

extension InspectionPolicy {
    /// `[[http]]` and `[[credentials]]` tables for `profile show` (each with where it came from).
    var tomlString: String {
        func string(_ text: String) -> String { TOMLRender.basicString(text) }
        func table(_ entries: [String: String]) -> String {
            "{ " + entries.keys.sorted().map { TOMLKey.render([$0]) + " = " + string(entries[$0] ?? "") }.joined(separator: ", ") + " }"
        }
        var out = ""
        for rule in http {
            out += "\n# \(rule.source.replacing("\n", with: " "))\n[[http]]\nhost = \(string(rule.host))\naction = \(string(rule.action.rawValue))\n"
            if let name = rule.name { out += "name = \(string(name))\n" }
            if !rule.methods.isEmpty { out += "method = [\(rule.methods.map(string).joined(separator: ", "))]\n" }
            if let path = rule.path { out += "path = \(string(path))\n" }
            if !rule.headers.isEmpty { out += "headers = \(table(rule.headers))\n" }
            if !rule.params.isEmpty { out += "params = \(table(rule.params))\n" }
            if !rule.graphql.isEmpty { out += "graphql = [\(rule.graphql.map(string).joined(separator: ", "))]\n" }
        }
        for entry in credentials {
            out += "\n# \(entry.source.replacing("\n", with: " "))\n[[credentials]]\nhost = \(string(entry.host))\nheader = \(string(entry.header))\n"
            out += "value = \(string(entry.value))\non_present = \(string(entry.onPresent.rawValue))\n"
            if let file = entry.file { out += "file = \(string(file))\n" }
            if let pointer = entry.jsonPointer { out += "json_pointer = \(string(pointer))\n" }
            if let env = entry.env { out += "env = \(string(env))\n" }
        }
        return out
    }
}

// MARK: - Reading

extension SchemaReader {
    static let httpKeys = ["action", "graphql", "headers", "host", "method", "name", "params", "path"]
    static let credentialKeys = ["env", "file", "header", "host", "json_pointer", "on_present", "value"]

    /// `[[http]]` or `[[credentials]]` (base or in an environment).
    func readInspection(_ section: String, _ value: TOMLValue, into layer: inout ProfileLayer) throws(ProfileError) {
        guard let array = value.array else {
            throw fail(value, Messages.wrongType(expected: "an array of tables ([[\(section)]])", found: value.typeName))
        }
        for element in array {
            let entries = try table(element).entries
            let source = "\(file):\(element.line)"
            var fields: [String: TOMLValue] = [:]
            let valid = section == "http" ? Self.httpKeys : Self.credentialKeys
            for (key, field) in entries {
                guard valid.contains(key) else { throw fail(field, Messages.unknownKey(key, valid: valid)) }
                fields[key] = field
            }
            guard let hostValue = fields["host"] else {
                throw ProfileError(file: file, line: element.line, key: TOMLKey.render(element.path) + ".host", message: "missing key 'host'")
            }
            let host = try inspectedHost(hostValue, allowAny: section == "http")
            if section == "http" {
                var rule = HTTPRuleEntry(host: host, action: .allow, source: source)
                if let v = fields["action"] { rule.action = HTTPRuleEntry.Action(rawValue: try choice(v, HTTPRuleEntry.Action.allCases.map(\.rawValue))) ?? .deny }
                if let v = fields["method"] {
                    var methods: [String]
                    if let one = v.string { methods = [one] } else { methods = try strings(v) { HTTPMethodName.problem($0) } }
                    if let problem = methods.lazy.compactMap(HTTPMethodName.problem).first { throw fail(v, problem) }
                    rule.methods = methods.map { $0.uppercased() }
                }
                if let v = fields["path"] {
                    let path = try nonEmptyString(v)
                    guard path.hasPrefix("/") || path.hasPrefix("*") else { throw fail(v, "a path glob starts with '/' (or '*')") }
                    rule.path = path
                }
                if let v = fields["headers"] {
                    for (name, field) in try table(v).entries {
                        guard !name.isEmpty, name.utf8.allSatisfy(HTTPMethodName.isTokenByte) else { throw fail(field, "invalid header name '\(name)'") }
                        rule.headers[name.lowercased()] = try string(field)
                    }
                }
                if let v = fields["graphql"] {
                    var patterns: [String]
                    if let one = v.string { patterns = [one] } else { patterns = try strings(v) { GraphQLPattern.problem($0) } }
                    if let problem = patterns.lazy.compactMap(GraphQLPattern.problem).first { throw fail(v, problem) }
                    rule.graphql = patterns
                }
                if let v = fields["params"] {
                    for (name, field) in try table(v).entries {
                        guard !name.isEmpty else { throw fail(field, "a parameter name is not empty") }
                        rule.params[name] = try string(field)
                    }
                }
                if let v = fields["name"] { rule.name = try nonEmptyString(v) }
                layer.inspection.http.append(rule)
            } else {
                guard let headerValue = fields["header"] else {
                    throw ProfileError(file: file, line: element.line, key: TOMLKey.render(element.path) + ".header", message: "missing key 'header'")
                }
                let header = try nonEmptyString(headerValue)
                guard header.utf8.allSatisfy(HTTPMethodName.isTokenByte) else { throw fail(headerValue, "invalid header name '\(header)'") }
                var entry = CredentialEntry(host: host, header: header, source: source)
                if let v = fields["value"] {
                    let text = try string(v)
                    guard text.contains("{token}") else { throw fail(v, "the value must contain {token}, where the secret goes") }
                    guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw fail(v, "control characters are not allowed") }
                    entry.value = text
                }
                if let v = fields["file"] {
                    let text = try nonEmptyString(v)
                    if text.hasPrefix("/") || text.hasPrefix("~/") {
                        entry.file = text
                    } else if let directory {
                        entry.file = Paths.normalize(Paths.join(directory, text))
                    } else {
                        throw fail(v, "a relative path needs a profile file to be relative to")
                    }
                }
                if let v = fields["json_pointer"] {
                    let text = try string(v)
                    guard text.isEmpty || text.hasPrefix("/") else { throw fail(v, "a JSON pointer is empty or starts with '/'") }
                    entry.jsonPointer = text
                }
                if let v = fields["env"] {
                    let name = try nonEmptyString(v)
                    if let problem = envVarProblem(name) { throw fail(v, problem) }
                    entry.env = name
                }
                if let v = fields["on_present"] {
                    entry.onPresent = CredentialEntry.OnPresent(rawValue: try choice(v, CredentialEntry.OnPresent.allCases.map(\.rawValue))) ?? .refuse
                }
                guard (entry.file == nil) != (entry.env == nil) else {
                    throw ProfileError(file: file, line: element.line, key: TOMLKey.render(element.path),
                                       message: "a credential comes from exactly one of 'file' (with optional 'json_pointer') or 'env'")
                }
                if entry.jsonPointer != nil, entry.file == nil, let v = fields["json_pointer"] {
                    throw fail(v, "json_pointer needs 'file'")
                }
                layer.inspection.credentials.append(entry)
            }
        }
    }

    /// `name` or `*.suffix`: a host name, lowercased.
    func inspectedHost(_ value: TOMLValue, allowAny: Bool) throws(ProfileError) -> String {
        let text = try nonEmptyString(value)
        if text == "*", allowAny { return "*" }
        let bare = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
        switch HostName.check(bare) {
        case .success(let host): return text.hasPrefix("*.") ? "*." + host : host
        case .failure(let problem): throw fail(value, Messages.invalidHostName(text, problem.message))
        }
    }

    /// `[network] upstream_ca`: a PEM file, relative to the profile's directory.
    func upstreamCA(_ value: TOMLValue) throws(ProfileError) -> String {
        try importPath(value)
    }
}

enum HTTPMethodName {
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    static func problem(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.allSatisfy(isTokenByte) else { return "invalid HTTP method '\(text)'" }
        return nil
    }
}

/// `TYPE FIELD`: `mutation volumeDelete`, `* *Delete`.
public enum GraphQLPattern {
    public static let types = ["query", "mutation", "subscription", "*"]

    public static func split(_ text: String) -> (type: String, field: String)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, types.contains(String(parts[0])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    static func problem(_ text: String) -> String? {
        guard let (_, field) = split(text) else {
            return "a graphql pattern is 'TYPE FIELD' with TYPE one of query, mutation, subscription, * (e.g. 'mutation volumeDelete'): '\(text)'"
        }
        guard field.utf8.allSatisfy({ $0 == 0x2A || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            return "a graphql field pattern holds letters, digits, '_' and '*': '\(field)'"
        }
        return nil
    }
}

// Unset optionals are written as `null`, like the rest of the policy (see `Policy.encode`).
extension InspectionPolicy {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(http, forKey: .http)
        try c.encode(credentials, forKey: .credentials)
        try c.encode(upstreamCA, forKey: .upstreamCA)
        try c.encode(askTimeout, forKey: .askTimeout)
        try c.encode(foundTokens, forKey: .foundTokens)
    }
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

extension CredentialEntry {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(header, forKey: .header)
        try c.encode(value, forKey: .value)
        try c.encode(file, forKey: .file)
        try c.encode(jsonPointer, forKey: .jsonPointer)
        try c.encode(env, forKey: .env)
        try c.encode(onPresent, forKey: .onPresent)
        try c.encode(source, forKey: .source)
    }
}
