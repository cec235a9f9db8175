

/// The argument checks of one syscall, generated here rather than by libseccomp: the rules in
/// order, the first whose conditions all hold returns its action, else the fallback. Each
/// condition reloads the words it compares, so no test depends on what an earlier one left in
/// the accumulator (libseccomp 2.5.4 merges several conditional rules of a syscall into a tree
/// whose generated code can compare a stale accumulator: two rules that each match nothing can
/// match together).
///
/// A 64-bit argument is two 32-bit words; comparisons are unsigned, high word first.
enum ArgumentCode {
    /// Offsets in `struct seccomp_data` of argument `index`'s words.
    static func low(_ index: Int) -> UInt32 {
        #if _endian(little)
        return UInt32(16 + 8 * index)
        #else
        return UInt32(20 + 8 * index)
        #endif
    }

    static func high(_ index: Int) -> UInt32 {
        #if _endian(little)
        return UInt32(20 + 8 * index)
        #else
        return UInt32(16 + 8 * index)
        #endif
    }

    static func block(rules: [(conditions: [ArgumentCondition], action: UInt32)], fallback: UInt32) -> [BPFInstruction] {
        var out: [BPFInstruction] = []
        for rule in rules {
            // Each condition ends with `ja` to the next rule, which a holding condition jumps over.
            var failures: [Int] = []
            for condition in rule.conditions {
                let code = check(condition)
                guard !code.isEmpty else { continue }
                out += code
                out.append(BPFInstruction(code: BPFInstruction.jumpAlways, jt: 0, jf: 0, k: 0))
                failures.append(out.count - 1)
            }
            out.append(.ret(rule.action))
            for index in failures { out[index].k = UInt32(out.count - index - 1) }
        }
        out.append(.ret(fallback))
        return out
    }

    /// Code that falls through to one instruction past its end when the condition holds, and
    /// onto the instruction right after it (the caller's `ja` to the next rule) when it does
    /// not. Empty for a condition that always holds.
    static func check(_ condition: ArgumentCondition) -> [BPFInstruction] {
        let hi = UInt32(truncatingIfNeeded: condition.value >> 32)
        let lo = UInt32(truncatingIfNeeded: condition.value)
        let loadHigh = BPFInstruction.load(high(condition.index))
        let loadLow = BPFInstruction.load(low(condition.index))
        // Offsets below count from the instruction after the jump; "F" is the first instruction
        // after this code (the failure `ja`), "P" the one after that.
        switch condition.op {
        case .equal:
            return [loadHigh, .jump(BPFInstruction.jumpEqual, hi, 0, 2),  // → low / F
                    loadLow, .jump(BPFInstruction.jumpEqual, lo, 1, 0)]  // → P / F
        case .notEqual:
            return [loadHigh, .jump(BPFInstruction.jumpEqual, hi, 0, 3),  // → low / P
                    loadLow, .jump(BPFInstruction.jumpEqual, lo, 0, 1)]  // → F / P
        case .greater, .greaterOrEqual:
            let last = condition.op == .greater ? BPFInstruction.jumpGreater : BPFInstruction.jumpGreaterOrEqual
            return [loadHigh, .jump(BPFInstruction.jumpGreater, hi, 4, 0),  // → P / next
                    .jump(BPFInstruction.jumpEqual, hi, 0, 2),  // → low / F
                    loadLow, .jump(last, lo, 1, 0)]  // → P / F
        case .less, .lessOrEqual:
            // a < b ⇔ !(a >= b); a <= b ⇔ !(a > b)
            let last = condition.op == .less ? BPFInstruction.jumpGreaterOrEqual : BPFInstruction.jumpGreater
            return [loadHigh, .jump(BPFInstruction.jumpGreater, hi, 3, 0),  // → F / next
                    .jump(BPFInstruction.jumpEqual, hi, 0, 3),  // → low / P
                    loadLow, .jump(last, lo, 0, 1)]  // → F / P
        case .maskedEqual(let mask):
            let maskHigh = UInt32(truncatingIfNeeded: mask >> 32), maskLow = UInt32(truncatingIfNeeded: mask)
            var halves: [[BPFInstruction]] = []
            if maskHigh != 0 {
                halves.append([loadHigh] + (maskHigh == .max ? [] : [.and(maskHigh)]) + [.jump(BPFInstruction.jumpEqual, hi & maskHigh, 0, 0)])
            }
            if maskLow != 0 {
                halves.append([loadLow] + (maskLow == .max ? [] : [.and(maskLow)]) + [.jump(BPFInstruction.jumpEqual, lo & maskLow, 0, 0)])
            }
            // Each half's jeq: true → the next half (or P), false → F.
            var code: [BPFInstruction] = []
            for (n, half) in halves.enumerated() {
                code += half
                let remaining = halves[(n + 1)...].reduce(0) { $0 + $1.count }
                let last = code.count - 1
                // From after this jeq: F is `remaining` instructions ahead, P one further.
                code[last].jt = n == halves.count - 1 ? 1 : 0
                code[last].jf = UInt8(remaining)
            }
            return code
        }
    }
}
