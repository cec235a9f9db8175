#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

/// A variable of the caller's environment that discovery considers secret.
public struct SecretEnvironmentVariable: Sendable, Equatable, Codable {
    public var name: String
    /// `env: secret-named variable (*_TOKEN)`, `env: token-shaped value (GitHub token)`, …
    public var rule: String
    public var ruleID: String
    /// Granted (`allow_env`): the sandbox keeps it.
    public var granted: Bool
    public var grantedBy: String?

    enum CodingKeys: String, CodingKey {
        case name, rule, ruleID = "rule_id", granted, grantedBy = "granted_by"
    }

    public init(name: String, rule: String, ruleID: String, granted: Bool, grantedBy: String? = nil) {
        self.name = name
        self.rule = rule
        self.ruleID = ruleID
        self.granted = granted
        self.grantedBy = grantedBy
    }
}
