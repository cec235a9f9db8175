/// One `[[git]]` rule: what an agent may do to the refs of repositories on one host, over git's
/// smart HTTP protocol. A host a `[[git]]` rule names is inspected like an `[[http]]` host.
///
/// Each ref a push updates is decided by the most restrictive of what applies to it:
/// - a ref under `refs/tags/` is decided by `tags`; any other ref by `push` (a ref a glob of
///   `push` matches is allowed, any other gets `action_otherwise`);
/// - a deletion also by `delete`;
/// - an update of an existing ref that is not proven a fast-forward also by `force` (a tag that
///   moves is always a rewrite).
/// One ref refused refuses the whole push. Every rule whose host and `repos` match counts; the
/// most restrictive wins. On a host with `[[git]]` rules, a push or fetch to a repository no
/// rule's `repos` names is refused.
public struct GitRuleEntry: Sendable, Codable, Equatable {
    /// `name` or `*.suffix`, lowercased.
    public var host: String
    /// Globs on the repository's path (`acme/*`, without a leading `/` or a trailing `.git`);
    /// empty means every repository on the host.
    public var repos: [String] = []
    /// Globs on ref names (`refs/heads/agent/*`) the agent may create and update.
    public var push: [String] = []
    public var force: HTTPRuleEntry.Action = .deny
    public var delete: HTTPRuleEntry.Action = .deny
    public var tags: HTTPRuleEntry.Action = .deny
    /// For a ref outside `push`.
    public var actionOtherwise: HTTPRuleEntry.Action = .deny
    public var name: String?
    /// `FILE:LINE` of the rule.
    public var source: String

    enum CodingKeys: String, CodingKey {
        case host, repos, push, force, delete, tags, actionOtherwise = "action_otherwise", name, source
    }

    public init(host: String, source: String) {
        self.host = host
        self.source = source
    }

    /// What the messages call it: its name, else where it is.
    public var label: String { name.map { "\"\($0)\" (\(source))" } ?? source }
}

extension GitRuleEntry {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(repos, forKey: .repos)
        try c.encode(push, forKey: .push)
        try c.encode(force, forKey: .force)
        try c.encode(delete, forKey: .delete)
        try c.encode(tags, forKey: .tags)
        try c.encode(actionOtherwise, forKey: .actionOtherwise)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
    }
}
