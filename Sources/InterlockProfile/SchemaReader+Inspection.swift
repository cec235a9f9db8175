/// Reading `[[http]]` and `[[credentials]]`.
extension SchemaReader {
    static let httpKeys = ["action", "graphql", "headers", "host", "method", "name", "params", "path"]
    static let credentialKeys = ["env", "file", "header", "host", "json_pointer", "on_present", "value"]

    /// `[[http]]` or `[[credentials]]` (base or in an environment).
    func readInspection(_ section: String, _ value: TOMLValue, into layer: inout ProfileLayer) throws(ProfileError) {
        if section == "git" { return try readGit(value, into: &layer) }
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
