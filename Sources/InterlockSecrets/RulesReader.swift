import InterlockProfile

struct RulesReader {
    let file: String
    private var ids: Set<String> = []
    private var rules: [SecretRule] = []

    init(file: String) { self.file = file }

    func fail(_ value: TOMLValue, _ message: String) -> SecretRulesError {
        SecretRulesError(file: file, line: value.line, key: value.key, message: message)
    }

    static let topKeys = ["content", "environment", "home", "scan", "version", "workspace"]
    static let scanKeys = ["assignment_entropy", "assignment_hex_entropy", "assignment_min_length", "binary_probe",
                           "max_file_size", "skip_content_dirs"]
    static let homeKeys = ["content", "except", "granted_by_env", "id", "name", "only", "paths", "reason"]
    static let workspaceKeys = ["content", "except", "files", "id", "name", "reason"]
    static let contentKeys = ["charset", "id", "kind", "literals", "digit", "max_length", "min_entropy", "min_length", "mixed",
                              "name", "names", "prefixes", "reason"]
    static let contentKinds = ["all-of", "assignment", "private-key", "token"]
    static let environmentKeys = ["id", "kind", "name", "names", "reason"]
    static let environmentKinds = ["name", "token-value", "url-password"]

    mutating func read(_ root: TOMLTable, fingerprint: UInt64) throws(SecretRulesError) -> SecretRuleSet {
        try checkKeys(root, Self.topKeys, rootLine: 1)
        if let version = root["version"] {
            guard version.integer == 1 else { throw fail(version, "unsupported version; this build reads version 1") }
        }
        var settings = ScanSettings()
        if let scan = root["scan"] { settings = try readScan(scan) }

        // Content rules first: home rules refer to them by id.
        var contentRules: [ContentMatcher.Rule] = []
        var contentInfo: [ContentRuleInfo] = []
        var contentIndex: [String: Int] = [:]
        for table in try tables(root["content"]) {
            let rule = try readContent(table, settings: settings)
            guard contentRules.count < ContentMatcher.maximumRules else {
                throw fail(table, "too many content rules (at most \(ContentMatcher.maximumRules))")
            }
            contentIndex[rule.info.id] = contentRules.count
            contentRules.append(rule.matcher)
            contentInfo.append(rule.info)
        }
        let matcher = ContentMatcher(rules: contentRules, settings: settings)

        var home: [HomeRule] = []
        for table in try tables(root["home"]) {
            home.append(try readHome(table, contentIndex: contentIndex))
        }
        var workspace = WorkspaceRules()
        for table in try tables(root["workspace"]) {
            try readWorkspace(table, into: &workspace, contentIndex: contentIndex)
        }
        var environment: [EnvironmentRule] = []
        for table in try tables(root["environment"]) {
            environment.append(try readEnvironment(table))
        }
        // File order of the rules list: home, workspace, content, environment.
        let order: [SecretRule.Kind] = [.home, .workspace, .content, .environment]
        let sorted = order.flatMap { kind in rules.filter { $0.kind == kind } }
        return SecretRuleSet(rules: sorted, fingerprint: fingerprint, settings: settings, home: home,
                             workspace: workspace, content: matcher, contentRules: contentInfo,
                             environment: environment)
    }

    // MARK: Sections

    func readScan(_ value: TOMLValue) throws(SecretRulesError) -> ScanSettings {
        guard let table = value.table else { throw fail(value, "expected a table, found \(value.typeName)") }
        try checkKeys(table, Self.scanKeys, rootLine: value.line, path: value.path)
        var settings = ScanSettings()
        if let v = table["max_file_size"] { settings.maxFileSize = try integer(v, 1...(1 << 30)) }
        if let v = table["binary_probe"] { settings.binaryProbe = try integer(v, 1...(1 << 20)) }
        if let v = table["assignment_min_length"] { settings.assignmentMinLength = try integer(v, 1...4096) }
        if let v = table["assignment_entropy"] { settings.assignmentEntropy = try number(v, 0...8) }
        if let v = table["assignment_hex_entropy"] { settings.assignmentHexEntropy = try number(v, 0...8) }
        if let v = table["skip_content_dirs"] {
            for (name, element) in try strings(v) {
                if name.isEmpty || name.hasPrefix("/") || name.hasSuffix("/") || name.contains("*") {
                    throw fail(element, "invalid directory '\(name)': a name or a relative path without wildcards")
                }
                if name.contains("/") {
                    settings.skipContentTails.append(Array(name.utf8))
                } else {
                    settings.skipContentNames.insert(name)
                }
            }
        }
        return settings
    }

    mutating func readHome(_ table: TOMLValue, contentIndex: [String: Int]) throws(SecretRulesError) -> HomeRule {
        let t = table.table!
        try checkKeys(t, Self.homeKeys, rootLine: table.line, path: table.path)
        let (id, name, reason) = try common(table)
        let paths = try required(table, "paths").map { $0 }
        guard !paths.isEmpty else { throw fail(t["paths"]!, "value must not be empty") }
        for (path, element) in paths {
            guard path.hasPrefix("~/") || path.hasPrefix("/") || path.hasPrefix("$") else {
                throw fail(element, "invalid path '\(path)': use '~/...', an absolute path or '$VARIABLE/...'")
            }
            if path.split(separator: "/").contains("..") {
                throw fail(element, "invalid path '\(path)': '..' components are not allowed")
            }
        }
        let except = try globs(t["except"], component: true)
        let mask = try contentMask(t["content"], contentIndex: contentIndex)
        let env = try t["granted_by_env"].map { v throws(SecretRulesError) in try strings(v).map(\.0) } ?? []
        var only: DiscoveredSecret.Kind?
        if let v = t["only"] {
            let text = try string(v)
            guard let kind = DiscoveredSecret.Kind(rawValue: text) else {
                throw fail(v, "invalid value '\(text)'; valid values: directory, file, socket")
            }
            only = kind
        }
        try add(SecretRule(id: id, kind: .home, name: name, reason: reason, patterns: paths.map(\.0)), table)
        return HomeRule(id: id, name: name, paths: paths.map(\.0), except: except.map(\.glob), contentMask: mask,
                        grantedByEnv: env, only: only)
    }

    mutating func readWorkspace(_ table: TOMLValue, into rules: inout WorkspaceRules,
                                contentIndex: [String: Int]) throws(SecretRulesError) {
        let t = table.table!
        try checkKeys(t, Self.workspaceKeys, rootLine: table.line, path: table.path)
        let (id, name, reason) = try common(table)
        let files = try required(table, "files")
        guard !files.isEmpty else { throw fail(t["files"]!, "value must not be empty") }
        let index = rules.rules.count
        for (pattern, element) in files {
            guard !pattern.isEmpty, !pattern.hasPrefix("/"), !pattern.hasSuffix("/") else {
                throw fail(element, "invalid file pattern '\(pattern)'")
            }
            if pattern.contains("/") {
                rules.paths.append((Glob("**/" + pattern), Glob(Path.name(pattern)), index))
                continue
            }
            let glob = Glob(pattern)
            switch glob.shape {
            case .exact:
                if rules.exact[pattern] == nil { rules.exact[pattern] = index }
            case .affix(let prefix, let suffix):
                rules.affixes.append((prefix, suffix, index))
            case .general:
                rules.names.append((glob, index))
            }
            _ = element
        }
        let except = try globs(t["except"], component: true)
        let mask = try contentMask(t["content"], contentIndex: contentIndex)
        rules.rules.append(WorkspaceRule(id: id, name: name, except: except.map(\.glob), contentMask: mask))
        try add(SecretRule(id: id, kind: .workspace, name: name, reason: reason, patterns: files.map(\.0)), table)
    }

    mutating func readContent(_ table: TOMLValue, settings: ScanSettings) throws(SecretRulesError)
        -> (matcher: ContentMatcher.Rule, info: ContentRuleInfo)
    {
        let t = table.table!
        try checkKeys(t, Self.contentKeys, rootLine: table.line, path: table.path)
        let (id, name, reason) = try common(table)
        guard let kindValue = t["kind"] else { throw missing(table, "kind") }
        guard let kind = kindValue.string, Self.contentKinds.contains(kind) else {
            throw fail(kindValue, "invalid value '\(kindValue.string ?? kindValue.typeName)'; valid values: \(Self.contentKinds.joined(separator: ", "))")
        }
        let allowed: [String: Set<String>] = [
            "token": ["prefixes", "charset", "min_length", "max_length", "min_entropy", "mixed", "digit"],
            "private-key": [],
            "all-of": ["literals"],
            "assignment": ["names"],
        ]
        for key in ["prefixes", "charset", "min_length", "max_length", "min_entropy", "mixed", "digit", "literals", "names"] {
            if let v = t[key], !allowed[kind]!.contains(key) {
                throw fail(v, "'\(key)' does not apply to kind '\(kind)'")
            }
        }
        let rule: ContentMatcher.Rule
        var patterns: [String] = []
        switch kind {
        case "token":
            let prefixes = try required(table, "prefixes")
            guard !prefixes.isEmpty else { throw fail(t["prefixes"]!, "value must not be empty") }
            for (prefix, element) in prefixes where prefix.utf8.count < 2 {
                throw fail(element, "a prefix needs at least 2 bytes")
            }
            guard let charsetValue = t["charset"] else { throw missing(table, "charset") }
            guard let charset = ByteSet(ranges: try string(charsetValue)) else {
                throw fail(charsetValue, "invalid charset; write characters and ranges such as 'A-Za-z0-9_-'")
            }
            guard let minValue = t["min_length"] else { throw missing(table, "min_length") }
            let minimum = try integer(minValue, 1...1024)
            let maximum = try t["max_length"].map { v throws(SecretRulesError) in try integer(v, 1...4096) } ?? 4096
            guard maximum >= minimum else { throw fail(t["max_length"]!, "max_length must be at least min_length") }
            let entropy = try t["min_entropy"].map { v throws(SecretRulesError) in try number(v, 0...8) }
            let mixed = try t["mixed"].map { v throws(SecretRulesError) in try boolean(v) } ?? false
            let digit = try t["digit"].map { v throws(SecretRulesError) in try boolean(v) } ?? false
            patterns = prefixes.map(\.0)
            rule = .token(prefixes: prefixes.map { Array($0.0.utf8) }, charset: charset, minimum: minimum,
                          maximum: maximum, minimumEntropy: entropy,
                          requirement: mixed ? .mixed : (digit ? .digit : .none))
        case "private-key":
            patterns = ["-----BEGIN ... PRIVATE KEY-----"]
            rule = .privateKey
        case "all-of":
            let literals = try required(table, "literals")
            guard !literals.isEmpty else { throw fail(t["literals"]!, "value must not be empty") }
            for (literal, element) in literals where literal.utf8.count < 2 {
                throw fail(element, "a literal needs at least 2 bytes")
            }
            patterns = literals.map(\.0)
            rule = .allOf(literals.map { Array($0.0.utf8) })
        default:  // assignment
            let names = try required(table, "names")
            guard !names.isEmpty else { throw fail(t["names"]!, "value must not be empty") }
            for (n, element) in names {
                guard !n.isEmpty, n.utf8.allSatisfy(ContentMatcher.isNameByte) else {
                    throw fail(element, "invalid name '\(n)'; use letters, digits, '_', '-' and '.'")
                }
            }
            patterns = names.map(\.0)
            rule = .assignment(names.map { ContentMatcher.normalizedName(Array($0.0.utf8)) })
        }
        try add(SecretRule(id: id, kind: .content, name: name, reason: reason, patterns: patterns), table)
        let tokenShaped = kind == "token" || kind == "private-key"
        return (rule, ContentRuleInfo(id: id, name: name, isTokenShaped: tokenShaped))
    }

    mutating func readEnvironment(_ table: TOMLValue) throws(SecretRulesError) -> EnvironmentRule {
        let t = table.table!
        try checkKeys(t, Self.environmentKeys, rootLine: table.line, path: table.path)
        let (id, name, reason) = try common(table)
        guard let kindValue = t["kind"] else { throw missing(table, "kind") }
        guard let kind = kindValue.string, Self.environmentKinds.contains(kind) else {
            throw fail(kindValue, "invalid value '\(kindValue.string ?? kindValue.typeName)'; valid values: \(Self.environmentKinds.joined(separator: ", "))")
        }
        let rule: EnvironmentRule
        var patterns: [String] = []
        switch kind {
        case "name":
            let names = try required(table, "names")
            guard !names.isEmpty else { throw fail(t["names"]!, "value must not be empty") }
            for (n, element) in names where n.isEmpty || n.contains("=") {
                throw fail(element, "invalid variable name '\(n)'")
            }
            patterns = names.map(\.0)
            rule = EnvironmentRule(id: id, name: name,
                                   kind: .name(names.map { ($0.0, Glob($0.0, caseInsensitive: true)) }))
        default:
            if let v = t["names"] { throw fail(v, "'names' does not apply to kind '\(kind)'") }
            rule = EnvironmentRule(id: id, name: name, kind: kind == "token-value" ? .tokenValue : .urlPassword)
        }
        try add(SecretRule(id: id, kind: .environment, name: name, reason: reason, patterns: patterns), table)
        return rule
    }

    // MARK: Helpers

    func contentMask(_ value: TOMLValue?, contentIndex: [String: Int]) throws(SecretRulesError) -> UInt64 {
        guard let value else { return 0 }
        var mask: UInt64 = 0
        for (ruleID, element) in try strings(value) {
            guard let index = contentIndex[ruleID] else { throw fail(element, "unknown content rule '\(ruleID)'") }
            mask |= 1 << UInt64(index)
        }
        return mask
    }

    func tables(_ value: TOMLValue?) throws(SecretRulesError) -> [TOMLValue] {
        guard let value else { return [] }
        guard let array = value.array else { throw fail(value, "expected an array of tables, found \(value.typeName)") }
        for element in array where element.table == nil {
            throw fail(element, "expected a table, found \(element.typeName)")
        }
        return array
    }

    func checkKeys(_ table: TOMLTable, _ valid: [String], rootLine: Int, path: [String] = []) throws(SecretRulesError) {
        for (key, value) in table.entries where !valid.contains(key) {
            throw SecretRulesError(file: file, line: value.line, key: TOMLKey.render(path + [key]),
                                   message: "unknown key '\(key)'; valid keys: \(valid.joined(separator: ", "))")
        }
    }

    func missing(_ table: TOMLValue, _ key: String) -> SecretRulesError {
        SecretRulesError(file: file, line: table.line, key: table.key, message: "missing key '\(key)'")
    }

    func common(_ table: TOMLValue) throws(SecretRulesError) -> (String, String, String) {
        let t = table.table!
        guard let idValue = t["id"] else { throw missing(table, "id") }
        let id = try string(idValue)
        guard !id.isEmpty, id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw fail(idValue, "invalid id '\(id)'; use lowercase letters, digits and '-'")
        }
        guard !ids.contains(id) else { throw fail(idValue, "duplicate id '\(id)'") }
        guard let nameValue = t["name"] else { throw missing(table, "name") }
        let name = try string(nameValue)
        guard !name.isEmpty else { throw fail(nameValue, "value must not be empty") }
        guard let reasonValue = t["reason"] else { throw missing(table, "reason") }
        let reason = try string(reasonValue)
        guard !reason.isEmpty else { throw fail(reasonValue, "value must not be empty") }
        guard !reason.contains("\n") else { throw fail(reasonValue, "a reason is one line") }
        return (id, name, reason)
    }

    mutating func add(_ rule: SecretRule, _ table: TOMLValue) throws(SecretRulesError) {
        ids.insert(rule.id)
        rules.append(rule)
    }

    func required(_ table: TOMLValue, _ key: String) throws(SecretRulesError) -> [(String, TOMLValue)] {
        guard let value = table.table![key] else { throw missing(table, key) }
        return try strings(value)
    }

    func strings(_ value: TOMLValue) throws(SecretRulesError) -> [(String, TOMLValue)] {
        guard let array = value.array else { throw fail(value, "expected an array of strings, found \(value.typeName)") }
        var result: [(String, TOMLValue)] = []
        for element in array {
            guard let text = element.string else {
                throw fail(element, "expected an array of strings, found \(element.typeName) element")
            }
            guard !text.utf8.contains(0) else { throw fail(element, "NUL characters are not allowed") }
            result.append((text, element))
        }
        return result
    }

    func globs(_ value: TOMLValue?, component: Bool) throws(SecretRulesError) -> [(glob: Glob, text: String)] {
        guard let value else { return [] }
        var result: [(glob: Glob, text: String)] = []
        for (text, element) in try strings(value) {
            if text.isEmpty || (component && text.contains("/")) {
                throw fail(element, "invalid file name pattern '\(text)'")
            }
            result.append((Glob(text), text))
        }
        return result
    }

    func string(_ value: TOMLValue) throws(SecretRulesError) -> String {
        guard let text = value.string else { throw fail(value, "expected a string, found \(value.typeName)") }
        return text
    }

    func boolean(_ value: TOMLValue) throws(SecretRulesError) -> Bool {
        guard let flag = value.boolean else { throw fail(value, "expected a boolean, found \(value.typeName)") }
        return flag
    }

    func integer(_ value: TOMLValue, _ range: ClosedRange<Int>) throws(SecretRulesError) -> Int {
        guard let number = value.integer else { throw fail(value, "expected an integer, found \(value.typeName)") }
        guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            throw fail(value, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
        }
        return Int(number)
    }

    func number(_ value: TOMLValue, _ range: ClosedRange<Double>) throws(SecretRulesError) -> Double {
        let x: Double
        if let i = value.integer { x = Double(i) } else if let f = value.float { x = f } else {
            throw fail(value, "expected a number, found \(value.typeName)")
        }
        guard x.isFinite, range.contains(x) else {
            throw fail(value, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return x
    }
}
