#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

/// A credential file, directory or socket that discovery found.
public struct DiscoveredSecret: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case file, directory, socket
    }

    /// Absolute and real (symlinks resolved): the path to mask.
    public var path: String
    public var kind: Kind
    public var isDirectory: Bool { kind == .directory }
    /// Why: `home: aws credentials (~/.aws)`, `workspace: .env file`, `content: GitHub token`.
    public var rule: String
    /// The rule's id in the rules file (`aws`, `dotenv`, `github-token`).
    public var ruleID: String
    /// Granted by the profile: stays visible.
    public var granted: Bool
    /// `allow_files: ENTRY` or `allow_env: ENTRY` when granted.
    public var grantedBy: String?

    enum CodingKeys: String, CodingKey {
        case path, kind, rule, ruleID = "rule_id", granted, grantedBy = "granted_by"
    }

    public init(path: String, kind: Kind, rule: String, ruleID: String, granted: Bool = false, grantedBy: String? = nil) {
        self.path = path
        self.kind = kind
        self.rule = rule
        self.ruleID = ruleID
        self.granted = granted
        self.grantedBy = grantedBy
    }
}
