#if canImport(Glibc)
import Glibc
#endif
import InterlockSeccomp

/// Answers a notified call the way the rules say. The filter only notifies calls the rules
/// refuse (and the watched calls that the supervisor inspects); should the two ever disagree,
/// the call is refused (fail closed).
enum SyscallDecider {
    static func make(_ rules: SyscallRuleSet) -> SyscallAuditor.Decide {
        { _, number, arguments in
            let rule: SyscallRule
            switch rules.evaluate(syscallNumber: number, arguments: arguments) {
            case .denied(let r): rule = r
            case .silentErrno(let e, let r): return SyscallDecision(response: .fail(e), rule: r.label)
            case .allowed:
                if rules.isWatched(syscall: SyscallNames.name(number), arguments: arguments) {
                    return SyscallDecision(response: .inspect, rule: "protected paths")
                }
                return SyscallDecision(response: .fail(EPERM), rule: "filter (rules disagree: refused)")
            }
            let name = rule.label
            if rules.mode == .learn { return SyscallDecision(response: .proceed, rule: name) }
            switch rules.onDeny {
            case .kill: return SyscallDecision(response: .killProcess, rule: name)
            case .errno(let e): return SyscallDecision(response: .fail(ErrnoNames.value(of: e) ?? EPERM), rule: name)
            }
        }
    }
}
