import InterlockProfile

/// The complete syscall policy of a run, as rules: what `SeccompCompiler.compile` turns into a
/// filter, and what the supervisor and replay consult to explain a decision.
///
/// Semantics (the compiled filter does exactly this; see `SeccompCompiler` for how the list is
/// assembled from a profile): for a call, the **first** rule in `rules` whose syscall is the
/// call's and whose conditions all hold decides; if none does, `defaultAction` decides. Calls
/// of another architecture (x32 numbers, 32-bit `int 0x80`) never reach the rules: the filter
/// kills the process.
public struct SyscallRuleSet: Sendable, Equatable {
    public var rules: [SyscallRule]
    /// For calls no rule matches: `.allow` for deny-list baselines (agent, none), `.deny` for
    /// allow lists (docker, most imports).
    public var defaultAction: RuleAction
    /// The origin reported for decisions of the default action, e.g. `baseline docker`.
    public var defaultOrigin: String
    public var onDeny: SyscallPolicy.OnDeny
    /// Carried for the supervisor (learn mode answers notified calls with "continue"); neither
    /// `evaluate` nor `compile` looks at it.
    public var mode: SyscallPolicy.Mode
    /// Calls the supervisor inspects before they run (writes near protected paths). They are not
    /// decisions: the filter refers them to the supervisor ahead of `rules` (only under user
    /// notification), and the supervisor then applies `rules` as `evaluate` does.
    public var watches: [SyscallRule]

    public init(rules: [SyscallRule], defaultAction: RuleAction = .allow, defaultOrigin: String = "default",
                onDeny: SyscallPolicy.OnDeny = .errno("EPERM"), mode: SyscallPolicy.Mode = .enforce,
                watches: [SyscallRule] = []) {
        self.rules = rules
        self.watches = watches
        self.defaultAction = defaultAction
        self.defaultOrigin = defaultOrigin
        self.onDeny = onDeny
        self.mode = mode
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refused with `on_deny` (and, under user notification, recorded by the supervisor).
        case denied(SyscallRule)
        /// Failed with this errno directly, unrecorded.
        case silentErrno(Int32, SyscallRule)
    }

    /// Exactly what the compiled filter does with this call (arguments as the six 64-bit
    /// registers; missing ones count as 0), with the rule that decided.
    public func evaluate(syscall: String, arguments: [UInt64]) -> Verdict {
        let rule = decidingRule(syscall: syscall, arguments: arguments)
        switch rule.action {
        case .allow, .watch: return .allowed
        case .deny: return .denied(rule)
        case .errnoSilently(let e): return .silentErrno(e, rule)
        }
    }

    /// `evaluate` for a syscall number of the native architecture; unknown numbers get the
    /// default action (no rule can name them).
    public func evaluate(syscallNumber: Int32, arguments: [UInt64]) -> Verdict {
        evaluate(syscall: SeccompCompiler.syscallName(syscallNumber) ?? "#\(syscallNumber)", arguments: arguments)
    }

    /// The rule that decides this call: the first matching one, or the default action as a rule
    /// (no conditions, origin `defaultOrigin + " (default action)"`).
    public func decidingRule(syscall: String, arguments: [UInt64]) -> SyscallRule {
        for rule in rules where rule.action != .watch && rule.matches(syscall: syscall, arguments: arguments) { return rule }
        return SyscallRule(syscall: syscall, action: defaultAction, origin: defaultOrigin + " (default action)")
    }

    /// Whether a watch refers this call to the supervisor.
    public func isWatched(syscall: String, arguments: [UInt64]) -> Bool {
        watches.contains { $0.matches(syscall: syscall, arguments: arguments) }
    }

    /// The syscalls of this architecture that some call is refused for (by `.deny` or
    /// `.errnoSilently`), whether always or only for some arguments.
    public var deniedSyscallNames: Set<String> {
        var byName: [String: [SyscallRule]] = [:]
        for rule in rules where rule.action != .watch { byName[rule.syscall, default: []].append(rule) }
        var denied: Set<String> = []
        for name in SyscallTable.native.keys {
            var refuses = false
            var fallback = defaultAction
            for rule in byName[name] ?? [] {
                if rule.isUnconditional {
                    fallback = rule.action
                    break
                }
                if rule.action != .allow { refuses = true }
            }
            if refuses || fallback != .allow { denied.insert(name) }
        }
        return denied
    }
}
