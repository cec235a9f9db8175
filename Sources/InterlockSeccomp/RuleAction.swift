import InterlockProfile

/// What a rule does to the calls it matches.
public enum RuleAction: Sendable, Equatable, Codable {
    /// Refused with the policy's `on_deny` (an errno, or killing the process); with user
    /// notification, the supervisor records the call and answers it.
    case deny
    /// Fails with this errno, directly in the kernel and without an audit record: a compatibility
    /// answer, not a refusal worth reporting (clone3 → ENOSYS makes libc fall back to clone).
    case errnoSilently(Int32)
    case allow
    /// Referred to the supervisor, which looks at the call (the path a write would touch) and
    /// then lets it run or refuses it. Only in `SyscallRuleSet.watches`, never in `rules`.
    case watch
}
