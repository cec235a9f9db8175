/// One `[[syscalls.rules]]` entry: `syscall` is refused (`deny`) or permitted (`allow`) when every
/// argument condition holds. How rules combine with `deny`, `allow` and the baseline is described
/// on `SeccompCompiler` (InterlockSeccomp).
public struct SyscallRuleEntry: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable, CaseIterable { case deny, allow }

    /// One comparison of a syscall argument (64 bits, unsigned) with `value`.
    public struct Argument: Sendable, Codable, Equatable {
        /// As written in a profile.
        public enum Operator: String, Sendable, Codable, CaseIterable {
            case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
            /// `(argument & mask) == value`
            case maskedEqual = "&="
        }
        /// 0...5
        public var index: Int
        public var op: Operator
        public var value: UInt64
        /// Only with `&=`.
        public var mask: UInt64?

        enum CodingKeys: String, CodingKey { case index, op, value, mask }

        public init(index: Int, op: Operator, value: UInt64, mask: UInt64? = nil) {
            self.index = index
            self.op = op
            self.value = value
            self.mask = mask
        }

        /// Every key is written; `mask` as null unless the operator is `&=`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(op, forKey: .op)
            try c.encode(value, forKey: .value)
            try c.encode(mask, forKey: .mask)
        }
    }

    public var syscall: String
    public var action: Action
    public var args: [Argument]

    public init(syscall: String, action: Action = .deny, args: [Argument] = []) {
        self.syscall = syscall
        self.action = action
        self.args = args
    }
}
