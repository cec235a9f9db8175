import InterlockProfile

/// One filter rule: `syscall`, when every condition holds, gets `action`.
public struct SyscallRule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Syscall name.
    public var syscall: String
    /// All must hold; empty: every call.
    public var conditions: [ArgumentCondition]
    public var action: RuleAction
    /// Where the rule came from, for audit records and replay: `baseline agent`, `baseline docker`,
    /// `syscalls.deny`, `syscalls.rules[1]`, `syscalls.allow`, `import /path.json syscalls[3]`,
    /// `terminal injection`; a baseline's default action has `… (default action)`.
    public var origin: String

    public init(syscall: String, conditions: [ArgumentCondition] = [], action: RuleAction, origin: String) {
        self.syscall = syscall
        self.conditions = conditions
        self.action = action
        self.origin = origin
    }

    public func matches(syscall name: String, arguments: [UInt64]) -> Bool {
        name == syscall && conditions.allSatisfy { $0.holds(for: arguments) }
    }

    /// No condition can fail.
    public var isUnconditional: Bool { conditions.allSatisfy(\.alwaysHolds) }

    /// `socket (arg0 & 0xffffffff == 17): deny [baseline agent]`
    public var description: String {
        let action: String
        switch self.action {
        case .deny: action = "deny"
        case .allow: action = "allow"
        case .errnoSilently(let e): action = "errno \(ErrnoNames.name(of: e) ?? String(e))"
        case .watch: action = "watch"
        }
        let conditions = self.conditions.isEmpty ? "" : " (" + self.conditions.map(\.description).joined(separator: ", ") + ")"
        return "\(syscall)\(conditions): \(action) [\(origin)]"
    }
}

extension SyscallRule {
    /// How audit records and replay name the rule: `baseline agent: mount`,
    /// `baseline agent: socket (arg0 & 0xffffffff == 17)`.
    public var label: String {
        let conditions = self.conditions.isEmpty ? "" : " (" + self.conditions.map(\.description).joined(separator: ", ") + ")"
        return "\(origin): \(syscall)\(conditions)"
    }
}
