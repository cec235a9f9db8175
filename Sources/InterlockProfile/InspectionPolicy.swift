import InterlockJSON

/// Request rules and credential brokering (`[[http]]`, `[[credentials]]`, and their
/// `[[env.NAME.…]]` forms, plus `[network] upstream_ca / ask_timeout / found_tokens`).
/// A host named by an `http` or `credentials` entry is inspected: the egress proxy terminates
/// its TLS with a per-run CA and checks every request. Other hosts are tunnelled untouched.
public struct InspectionPolicy: Sendable, Codable, Equatable {
    public var http: [HTTPRuleEntry] = []
    public var credentials: [CredentialEntry] = []
    /// `[[git]]`: which refs a push may create, update or delete (git's smart HTTP protocol).
    public var git: [GitRuleEntry] = []
    /// Extra trust for the real hosts (tests, private CAs), absolute; the host's store always applies.
    public var upstreamCA: String?
    /// How long an `ask` waits for a human (seconds); then the request is refused.
    public var askTimeout: Int?
    /// What happens to a request on an inspected host that carries a credential the broker did
    /// not inject: `deny` (default), `ask`, or `off`.
    public var foundTokens: String?

    public static let defaultAskTimeout = 120

    enum CodingKeys: String, CodingKey {
        case http, credentials, git, upstreamCA = "upstream_ca", askTimeout = "ask_timeout", foundTokens = "found_tokens"
    }

    public init() {}

    /// Hosts whose requests are inspected, lowercased, in profile order.
    public var inspectedHosts: [String] {
        var hosts: [String] = []
        for host in http.map(\.host) + credentials.map(\.host) + git.map(\.host) where host != "*" && !hosts.contains(host) { hosts.append(host) }
        return hosts
    }

    public var isActive: Bool { !http.isEmpty || !credentials.isEmpty || !git.isEmpty }
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
        var fields: [String: JSONValue] = [
            "http": .array(rules), "credentials": .array(entries), "upstream_ca": optional(upstreamCA),
            "ask_timeout": timeout, "found_tokens": optional(foundTokens),
        ]
        if !git.isEmpty {
            fields["git"] = .array(git.map { rule -> JSONValue in
                let entry: [String: JSONValue] = [
                    "host": .string(rule.host), "repos": .strings(rule.repos), "push": .strings(rule.push),
                    "force": .string(rule.force.rawValue), "delete": .string(rule.delete.rawValue), "tags": .string(rule.tags.rawValue),
                    "action_otherwise": .string(rule.actionOtherwise.rawValue), "name": optional(rule.name), "source": .string(rule.source),
                ]
                return .sortedObject(entry)
            })
        }
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
        for rule in git {
            out += "\n# \(rule.source.replacing("\n", with: " "))\n[[git]]\nhost = \(string(rule.host))\n"
            if let name = rule.name { out += "name = \(string(name))\n" }
            if !rule.repos.isEmpty { out += "repos = [\(rule.repos.map(string).joined(separator: ", "))]\n" }
            out += "push = [\(rule.push.map(string).joined(separator: ", "))]\n"
            out += "force = \(string(rule.force.rawValue))\ndelete = \(string(rule.delete.rawValue))\ntags = \(string(rule.tags.rawValue))\n"
            out += "action_otherwise = \(string(rule.actionOtherwise.rawValue))\n"
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

// Unset optionals are written as `null`, like the rest of the policy (see `Policy.encode`).
extension InspectionPolicy {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(http, forKey: .http)
        try c.encode(credentials, forKey: .credentials)
        // Only when present, so that a policy without git rules encodes as it always has.
        if !git.isEmpty { try c.encode(git, forKey: .git) }
        try c.encode(upstreamCA, forKey: .upstreamCA)
        try c.encode(askTimeout, forKey: .askTimeout)
        try c.encode(foundTokens, forKey: .foundTokens)
    }
}

// A policy written before `[[git]]` existed (or without git rules, which are then not written) reads back.
extension InspectionPolicy {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        http = try c.decode([HTTPRuleEntry].self, forKey: .http)
        credentials = try c.decode([CredentialEntry].self, forKey: .credentials)
        git = try c.decodeIfPresent([GitRuleEntry].self, forKey: .git) ?? []
        upstreamCA = try c.decodeIfPresent(String.self, forKey: .upstreamCA)
        askTimeout = try c.decodeIfPresent(Int.self, forKey: .askTimeout)
        foundTokens = try c.decodeIfPresent(String.self, forKey: .foundTokens)
    }
}
