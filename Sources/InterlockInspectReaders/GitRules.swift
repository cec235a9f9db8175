import InterlockProfile

/// The `[[git]]` rules of one run, and what they decide about a push or a fetch.
package struct GitRules {
    let rules: [GitRuleEntry]

    package init(rules: [GitRuleEntry]) { self.rules = rules }

    /// A host with git rules: its git requests are decided here.
    package func governs(_ host: String) -> Bool {
        rules.contains { HostPattern.matches($0.host, host) }
    }

    /// The rules for one repository of one host (empty: no rule names it, so it is refused).
    package func rules(host: String, repository: String) -> [GitRuleEntry] {
        rules.filter { rule in
            HostPattern.matches(rule.host, host)
                && (rule.repos.isEmpty || rule.repos.contains { Glob.matches($0.lowercased(), repository, pathMode: true) })
        }
    }

    /// What one rule, or the lack of any, says about one ref.
    package struct Decision: Equatable {
        package var action: HTTPRuleEntry.Action
        package var rule: GitRuleEntry?
        /// Why, in words: `refs/heads/main is not among the refs this rule lets the agent push`.
        package var reason: String

        package init(action: HTTPRuleEntry.Action, rule: GitRuleEntry?, reason: String) {
            self.action = action
            self.rule = rule
            self.reason = reason
        }
    }

    /// Each command decided on its own (the push as a whole is refused if any one is).
    /// `fastForward` says whether an update is proven a fast-forward.
    package func decide(_ commands: [GitPushCommands.Command], host: String, repository: String,
                        fastForward: (GitPushCommands.Command) -> Bool) -> [Decision] {
        let applicable = rules(host: host, repository: repository)
        return commands.map { command in
            guard !applicable.isEmpty else {
                return Decision(action: .deny, rule: nil, reason: "no [[git]] rule for \(host) names the repository \(repository)")
            }
            var best: Decision?
            for rule in applicable {
                let decision = Self.decide(command, rule: rule, fastForward: fastForward)
                if best.map({ RequestRules.rank(decision.action) > RequestRules.rank($0.action) }) ?? true { best = decision }
            }
            return best ?? Decision(action: .deny, rule: nil, reason: "no rule")
        }
    }

    /// The most restrictive of: `tags` (a tag) or `push` / `action_otherwise` (any other ref),
    /// `delete` (a deletion), `force` (an update not proven a fast-forward; a tag that moves).
    static func decide(_ command: GitPushCommands.Command, rule: GitRuleEntry,
                       fastForward: (GitPushCommands.Command) -> Bool) -> Decision {
        let ref = command.ref
        var parts: [(HTTPRuleEntry.Action, String)] = []
        if ref.hasPrefix("refs/tags/") {
            parts.append((rule.tags, "\(ref) is a tag (tags = \"\(rule.tags.rawValue)\")"))
        } else if rule.push.contains(where: { Glob.matches($0, ref, pathMode: true) }) {
            parts.append((.allow, "\(ref) is among the refs the rule lets the agent push"))
        } else {
            parts.append((rule.actionOtherwise, "\(ref) is not among the refs the rule lets the agent push (action_otherwise = \"\(rule.actionOtherwise.rawValue)\")"))
        }
        switch command.kind {
        case .delete:
            parts.append((rule.delete, "the push deletes \(ref) (delete = \"\(rule.delete.rawValue)\")"))
        case .update where ref.hasPrefix("refs/tags/") || !fastForward(command):
            parts.append((rule.force, "the update of \(ref) is not proven a fast-forward, so it counts as a rewrite (force = \"\(rule.force.rawValue)\")"))
        case .update, .create:
            break
        }
        var best = parts[0]
        for part in parts.dropFirst() where RequestRules.rank(part.0) > RequestRules.rank(best.0) { best = part }
        return Decision(action: best.0, rule: rule, reason: best.1)
    }
}
