/// Splits the caller's environment into what the sandbox keeps and what it loses.
struct EnvironmentScrubber {
    let rules: SecretRuleSet
    /// `allow_env` entries with their compiled globs (case-sensitive, like variable names).
    let allow: [(text: String, glob: Glob)]

    func scrub(_ environment: [String]) -> (variables: [SecretEnvironmentVariable], kept: [String]) {
        var variables: [SecretEnvironmentVariable] = []
        var kept: [String] = []
        kept.reserveCapacity(environment.count)
        for entry in environment {
            guard let equals = entry.utf8.firstIndex(of: 0x3D) else {
                kept.append(entry)
                continue
            }
            let name = String(entry[..<equals])
            let value = entry[entry.index(after: equals)...]
            guard let (rule, ruleID) = match(name: name, value: value) else {
                kept.append(entry)
                continue
            }
            let grant = allow.first { $0.glob.matches(name) }
            variables.append(SecretEnvironmentVariable(name: name, rule: rule, ruleID: ruleID, granted: grant != nil,
                                                       grantedBy: grant.map { "allow_env: " + $0.text }))
            if grant != nil { kept.append(entry) }
        }
        return (variables, kept)
    }

    /// The first environment rule that matches: `env: LABEL`.
    func match(name: String, value: Substring) -> (String, String)? {
        for rule in rules.environment {
            switch rule.kind {
            case .name(let patterns):
                if let pattern = patterns.first(where: { $0.glob.matches(name) }) {
                    return ("env: \(rule.name) (\(pattern.text))", rule.id)
                }
            case .tokenValue:
                var copy = String(value)
                let found = copy.withUTF8 { rules.content.scan($0, enabled: rules.content.tokenShapedRules) }
                if found != 0 {
                    let info = rules.contentRules[found.trailingZeroBitCount]
                    return ("env: \(rule.name) (\(info.name))", rule.id)
                }
            case .urlPassword:
                if Self.hasURLPassword(value) { return ("env: \(rule.name)", rule.id) }
            }
        }
        return nil
    }

    /// `scheme://user:password@host…` with a non-empty password.
    static func hasURLPassword(_ value: Substring) -> Bool {
        let bytes = Array(value.utf8)
        var i = 0
        while i + 3 <= bytes.count {
            if bytes[i] == 0x3A && bytes[i + 1] == 0x2F && bytes[i + 2] == 0x2F {  // "://"
                var end = i + 3
                while end < bytes.count && bytes[end] != 0x2F && bytes[end] != 0x3F && bytes[end] != 0x23
                    && bytes[end] != 0x20 && bytes[end] != 0x2C {
                    end += 1
                }
                let authority = bytes[(i + 3)..<end]
                if let at = authority.lastIndex(of: 0x40) {
                    let userinfo = authority[..<at]
                    if let colon = userinfo.firstIndex(of: 0x3A), colon + 1 < at { return true }
                }
                i = end
            } else {
                i += 1
            }
        }
        return false
    }
}
