/// Reading `[[git]]` (base or `[[env.NAME.git]]`).
extension SchemaReader {
    static let gitKeys = ["action_otherwise", "delete", "force", "host", "name", "push", "repos", "tags"]

    func readGit(_ value: TOMLValue, into layer: inout ProfileLayer) throws(ProfileError) {
        guard let array = value.array else {
            throw fail(value, Messages.wrongType(expected: "an array of tables ([[git]])", found: value.typeName))
        }
        let actions = HTTPRuleEntry.Action.allCases.map(\.rawValue)
        for element in array {
            let entries = try table(element).entries
            var fields: [String: TOMLValue] = [:]
            for (key, field) in entries {
                guard Self.gitKeys.contains(key) else { throw fail(field, Messages.unknownKey(key, valid: Self.gitKeys)) }
                fields[key] = field
            }
            guard let hostValue = fields["host"] else {
                throw ProfileError(file: file, line: element.line, key: TOMLKey.render(element.path) + ".host", message: "missing key 'host'")
            }
            var rule = GitRuleEntry(host: try inspectedHost(hostValue, allowAny: false), source: "\(file):\(element.line)")
            if let v = fields["repos"] { rule.repos = try strings(v, check: Self.repositoryGlobProblem) }
            if let v = fields["push"] { rule.push = try strings(v, check: Self.refGlobProblem) }
            func action(_ key: String) throws(ProfileError) -> HTTPRuleEntry.Action? {
                guard let v = fields[key] else { return nil }
                return HTTPRuleEntry.Action(rawValue: try choice(v, actions))
            }
            if let a = try action("force") { rule.force = a }
            if let a = try action("delete") { rule.delete = a }
            if let a = try action("tags") { rule.tags = a }
            if let a = try action("action_otherwise") { rule.actionOtherwise = a }
            if let v = fields["name"] { rule.name = try nonEmptyString(v) }
            layer.inspection.git.append(rule)
        }
    }

    /// `acme/*`: a path without a leading `/` or a trailing `.git` (both are dropped before matching).
    static func repositoryGlobProblem(_ text: String) -> String? {
        if text.isEmpty { return Messages.empty }
        if text.hasPrefix("/") || text.hasSuffix("/") { return "a repository glob has no leading or trailing '/' ('acme/*')" }
        if text.hasSuffix(".git") { return "a repository glob names the repository without '.git' ('acme/widget')" }
        if text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) { return "spaces and control characters are not allowed" }
        return nil
    }

    /// `refs/heads/agent/*`: a full ref name (git's rules, `*` as the glob).
    static func refGlobProblem(_ text: String) -> String? {
        guard text.hasPrefix("refs/") else { return "a ref glob is a full ref name starting with 'refs/' ('refs/heads/agent/*')" }
        if text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || "~^:?[\\".unicodeScalars.contains($0) }) {
            return "a ref glob has no spaces, control characters or any of ~ ^ : ? [ \\"
        }
        if text.contains("..") || text.contains("//") || text.hasSuffix("/") { return "'..', '//' and a trailing '/' are not in ref names" }
        return nil
    }
}
