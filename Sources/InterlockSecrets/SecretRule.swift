import InterlockProfile

/// One discovery rule, as written in the rules file.
public struct SecretRule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A credential location of the invoking user (`[[home]]`).
        case home
        /// A file name in the workspace (`[[workspace]]`).
        case workspace
        /// What a file's content or a variable's value holds (`[[content]]`).
        case content
        /// An environment variable (`[[environment]]`).
        case environment
    }

    /// Unique across the rule set, e.g. `aws`, `dotenv`, `github-token`, `secret-name`.
    public var id: String
    public var kind: Kind
    /// Short label, e.g. `aws credentials`, `.env file`, `GitHub token`.
    public var name: String
    /// One line: why what this rule finds is a secret.
    public var reason: String
    /// What it matches, as written: paths (`home`), file names (`workspace`), prefixes or names
    /// (`content`), variable names (`environment`). Empty for rules that have none.
    public var patterns: [String]

    public init(id: String, kind: Kind, name: String, reason: String, patterns: [String] = []) {
        self.id = id
        self.kind = kind
        self.name = name
        self.reason = reason
        self.patterns = patterns
    }
}
