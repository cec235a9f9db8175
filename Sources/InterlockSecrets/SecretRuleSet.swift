import InterlockProfile

/// A parsed and validated rules file, compiled for matching.
public struct SecretRuleSet: Sendable {
    /// Every rule in file order: home, workspace, content, environment rules interleaved as written.
    public let rules: [SecretRule]
    /// Changes whenever the rules text changes (keys the content cache).
    public let fingerprint: UInt64

    let settings: ScanSettings
    let home: [HomeRule]
    let workspace: WorkspaceRules
    let content: ContentMatcher
    let contentRules: [ContentRuleInfo]
    let environment: [EnvironmentRule]

    /// The built-in rules (`profiles/secrets/rules.toml`). Unit tests check that they parse.
    public static let builtin: SecretRuleSet = {
        do {
            return try SecretRuleSet.parse(BuiltinRules.text, file: BuiltinRules.file)
        } catch {
            fatalError("the built-in secret rules do not parse: \(error)")
        }
    }()

    /// The rule with this id (`DiscoveredSecret.ruleID`), for its reason.
    public func rule(id: String) -> SecretRule? { rules.first { $0.id == id } }

    /// Rules of one kind, in file order.
    public func rules(of kind: SecretRule.Kind) -> [SecretRule] { rules.filter { $0.kind == kind } }

    /// Parses and validates a rules file. `file` labels errors.
    public static func parse(_ text: String, file: String) throws(SecretRulesError) -> SecretRuleSet {
        let table: TOMLTable
        do {
            table = try TOML.parse(text, file: file)
        } catch {
            throw SecretRulesError(file: error.file, line: error.line, key: nil, message: error.message)
        }
        var reader = RulesReader(file: file)
        return try reader.read(table, fingerprint: Hash.fnv1a(Array(text.utf8)))
    }
}
