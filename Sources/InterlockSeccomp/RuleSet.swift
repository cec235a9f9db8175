import InterlockProfile

/// One comparison of a syscall argument, exactly as the compiled filter makes it: the argument
/// is the full 64-bit register value, compared unsigned. For `maskedEqual`, the filter tests
/// `argument & mask == value & mask` (libseccomp masks the value too).
///
/// The kernel reads `int` and `unsigned int` arguments (socket's family, ioctl's request,
/// personality) from the low 32 bits only, so a *deny* condition on such an argument should be
/// `maskedEqual(mask: 0xffffffff)`: a plain `equal` can be dodged by setting high bits.
public struct ArgumentCondition: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Operator: Sendable, Equatable, Codable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        case maskedEqual(mask: UInt64)
    }

    /// 0...5
    public var index: Int
    public var op: Operator
    public var value: UInt64

    public init(index: Int, op: Operator, value: UInt64) {
        self.index = index
        self.op = op
        self.value = value
    }

    public static func equal(_ index: Int, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .equal, value: value)
    }

    public static func notEqual(_ index: Int, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .notEqual, value: value)
    }

    /// `argument & mask == value`
    public static func masked(_ index: Int, _ mask: UInt64, _ value: UInt64) -> ArgumentCondition {
        ArgumentCondition(index: index, op: .maskedEqual(mask: mask), value: value)
    }

    /// Missing arguments count as 0.
    public func holds(for arguments: [UInt64]) -> Bool {
        let argument = index >= 0 && index < arguments.count ? arguments[index] : 0
        switch op {
        case .equal: return argument == value
        case .notEqual: return argument != value
        case .less: return argument < value
        case .lessOrEqual: return argument <= value
        case .greater: return argument > value
        case .greaterOrEqual: return argument >= value
        case .maskedEqual(let mask): return argument & mask == value & mask
        }
    }

    /// True for a comparison that holds whatever the argument (`& 0 == 0`): libseccomp drops it.
    var alwaysHolds: Bool {
        if case .maskedEqual(let mask) = op { return mask == 0 }
        return false
    }

    /// `arg1 & 0xffffffff == 0x5412`, `arg0 == 17`.
    public var description: String {
        let hex = { (n: UInt64) in "0x" + String(n, radix: 16) }
        let shown = { (n: UInt64) in n < 4096 ? String(n) : hex(n) }
        switch op {
        case .equal: return "arg\(index) == \(shown(value))"
        case .notEqual: return "arg\(index) != \(shown(value))"
        case .less: return "arg\(index) < \(shown(value))"
        case .lessOrEqual: return "arg\(index) <= \(shown(value))"
        case .greater: return "arg\(index) > \(shown(value))"
        case .greaterOrEqual: return "arg\(index) >= \(shown(value))"
        case .maskedEqual(let mask): return "arg\(index) & \(hex(mask)) == \(shown(value))"
        }
    }
}

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

extension SyscallRule {
    /// How audit records and replay name the rule: `baseline agent: mount`,
    /// `baseline agent: socket (arg0 & 0xffffffff == 17)`.
    public var label: String {
        let conditions = self.conditions.isEmpty ? "" : " (" + self.conditions.map(\.description).joined(separator: ", ") + ")"
        return "\(origin): \(syscall)\(conditions)"
    }
}
