#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockProfile
import InterlockSystem

/// A Docker / OCI seccomp profile (the JSON of `docker run --security-opt seccomp=…` and of an OCI
/// runtime config's `linux.seccomp`), and how it becomes rules.
///
/// Read: `defaultAction`, `defaultErrnoRet`, `architectures` and `archMap` (only checked for
/// shape: whatever they say, only native syscalls pass, see below), and `syscalls[]` with
/// `names` (or the old `name`), `action`, `errnoRet`, `args[] {index, value, valueTwo, op}`,
/// `includes` / `excludes` `{caps, arches, minKernel}`. Other members (`comment`, `flags`,
/// `listenerPath`, …) are ignored.
///
/// Conversion, as moby and runc do it:
/// - an entry applies when every capability in `includes.caps` is kept, the native architecture
///   (`amd64` here) is in `includes.arches` (if given), and the running kernel is at least
///   `includes.minKernel`; it does not when any capability of `excludes.caps` is kept, the
///   native architecture is in `excludes.arches`, or the kernel is at least `excludes.minKernel`.
///   Interlock keeps no capability unless `[capabilities] keep` names it.
/// - names this architecture does not have (`chown32`, `_llseek`, …) or that nobody knows are
///   skipped (runc ignores them too);
/// - actions: `SCMP_ACT_ALLOW`, `SCMP_ACT_LOG` → allow; `SCMP_ACT_ERRNO` with errno ENOSYS →
///   `.errnoSilently(ENOSYS)` (a profile's way of saying "this syscall does not exist": clone3);
///   any other `SCMP_ACT_ERRNO`, `SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`,
///   `SCMP_ACT_KILL_PROCESS`, `SCMP_ACT_TRAP`, `SCMP_ACT_TRACE`, `SCMP_ACT_NOTIFY` → `.deny`:
///   the policy's `on_deny` decides the errno (or kill), and the refusal is audited;
/// - a rule whose action is the default action is dropped (runc does; libseccomp refuses it);
/// - conditions: `SCMP_CMP_EQ/NE/LT/LE/GT/GE` compare `value`; `SCMP_CMP_MASKED_EQ` is
///   `argument & value == valueTwo`;
/// - order: for each syscall, the unconditional rules first (in libseccomp an unconditional rule
///   overrides every conditional one of its syscall), then the conditional ones in file order.
/// - other architectures: the compiled filter kills the process on any syscall of an
///   architecture but the native one, whatever `architectures` lists (x86 and x32 included).
public struct DockerSeccompProfile: Sendable, Equatable {
    public struct Filter: Sendable, Equatable {
        public var caps: [String]
        public var arches: [String]
        public var minKernel: String?
        public init(caps: [String] = [], arches: [String] = [], minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }

    public struct Arg: Sendable, Equatable {
        public var index: Int
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: String
        public init(index: Int, value: UInt64, valueTwo: UInt64 = 0, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    public struct Entry: Sendable, Equatable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Arg]
        public var includes: Filter
        public var excludes: Filter
        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [Arg] = [],
                    includes: Filter = Filter(), excludes: Filter = Filter()) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }
    }

    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]
    public var syscalls: [Entry]

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String] = [], syscalls: [Entry]) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.syscalls = syscalls
    }

    /// What the conversion needs to know about the sandbox.
    public struct Host: Sendable, Equatable {
        /// Docker's name of the native architecture: `amd64`, `arm64`, …
        public var architecture: String
        /// Capabilities kept in the sandbox (`CAP_…`).
        public var capabilities: Set<String>
        public var kernel: KernelVersion

        public init(architecture: String = Host.nativeArchitecture, capabilities: Set<String> = [],
                    kernel: KernelVersion = .running) {
            self.architecture = architecture
            self.capabilities = capabilities
            self.kernel = kernel
        }

        public static var nativeArchitecture: String {
            #if arch(x86_64)
            return "amd64"
            #elseif arch(arm64)
            return "arm64"
            #else
            return "unknown"
            #endif
        }
    }

    // MARK: Reading

    /// Reads a profile file; errors name the path.
    public static func load(path: String) throws(SeccompError) -> DockerSeccompProfile {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path, limit: 16 << 20)
        } catch {
            throw SeccompError(message: "\(path): cannot read: \(error.reason)")
        }
        do {
            return try parse(bytes)
        } catch {
            throw SeccompError(message: "\(path): \(error.message)")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(SeccompError) -> DockerSeccompProfile {
        let document: JSONValue
        do {
            document = try JSONReader.read(bytes, options: JSONReader.Options(maxDepth: 200, allowsByteOrderMark: true))
        } catch {
            throw SeccompError(message: "invalid JSON: \(error.description)")
        }
        return try DockerProfileReader().profile(document)
    }

    // MARK: Converting

    /// The profile's default action and its rules for this host. `origin` names them
    /// (`baseline docker`, `import /path.json`); with `numbered`, each rule's origin adds the
    /// entry it came from (`import /path.json syscalls[3]`).
    public func rules(origin: String, host: Host = Host(), numbered: Bool = false)
        throws(SeccompError) -> (defaultAction: RuleAction, rules: [SyscallRule]) {
        let defaultAction = try Self.action(defaultAction, errno: defaultErrnoRet ?? UInt32(EPERM), key: "defaultAction")
        var unconditional: [SyscallRule] = []
        var conditional: [SyscallRule] = []
        for (position, entry) in syscalls.enumerated() where applies(entry, host: host) {
            let key = "syscalls[\(position)]"
            let action = try Self.action(entry.action, errno: entry.errnoRet ?? UInt32(EPERM), key: key + ".action")
            // libseccomp refuses a rule with the default action, and runc leaves such rules out.
            if action == defaultAction { continue }
            var conditions: [ArgumentCondition] = []
            for (argPosition, arg) in entry.args.enumerated() {
                let argKey = key + ".args[\(argPosition)]"
                guard (0...5).contains(arg.index) else {
                    throw SeccompError(message: "\(argKey).index: must be between 0 and 5, found \(arg.index)")
                }
                conditions.append(try Self.condition(arg, key: argKey))
            }
            let ruleOrigin = numbered ? "\(origin) \(key)" : origin
            for name in entry.names {
                guard case .native = SyscallTable.resolve(name) else { continue }
                let rule = SyscallRule(syscall: name, conditions: conditions, action: action, origin: ruleOrigin)
                if rule.isUnconditional { unconditional.append(rule) } else { conditional.append(rule) }
            }
        }
        return (defaultAction, unconditional + conditional)
    }

    func applies(_ entry: Entry, host: Host) -> Bool {
        if !entry.includes.caps.allSatisfy(host.capabilities.contains) { return false }
        if !entry.includes.arches.isEmpty, !entry.includes.arches.contains(host.architecture) { return false }
        if let minimum = entry.includes.minKernel.flatMap(KernelVersion.init(parsing:)), host.kernel < minimum { return false }
        if entry.excludes.caps.contains(where: host.capabilities.contains) { return false }
        if entry.excludes.arches.contains(host.architecture) { return false }
        if let minimum = entry.excludes.minKernel.flatMap(KernelVersion.init(parsing:)), host.kernel >= minimum { return false }
        return true
    }

    static let actions = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                          "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"]

    static func action(_ name: String, errno: UInt32, key: String) throws(SeccompError) -> RuleAction {
        switch name {
        case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG":
            return .allow
        case "SCMP_ACT_ERRNO":
            return errno == UInt32(ENOSYS) ? .errnoSilently(ENOSYS) : .deny
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY":
            return .deny
        default:
            throw SeccompError(message: "\(key): unknown action '\(name)'; valid actions: \(actions.joined(separator: ", "))")
        }
    }

    static let operators = ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"]

    static func condition(_ arg: Arg, key: String) throws(SeccompError) -> ArgumentCondition {
        switch arg.op {
        case "SCMP_CMP_EQ": return ArgumentCondition(index: arg.index, op: .equal, value: arg.value)
        case "SCMP_CMP_NE": return ArgumentCondition(index: arg.index, op: .notEqual, value: arg.value)
        case "SCMP_CMP_LT": return ArgumentCondition(index: arg.index, op: .less, value: arg.value)
        case "SCMP_CMP_LE": return ArgumentCondition(index: arg.index, op: .lessOrEqual, value: arg.value)
        case "SCMP_CMP_GT": return ArgumentCondition(index: arg.index, op: .greater, value: arg.value)
        case "SCMP_CMP_GE": return ArgumentCondition(index: arg.index, op: .greaterOrEqual, value: arg.value)
        case "SCMP_CMP_MASKED_EQ": return ArgumentCondition(index: arg.index, op: .maskedEqual(mask: arg.value), value: arg.valueTwo)
        default:
            throw SeccompError(message: "\(key).op: unknown operator '\(arg.op)'; valid operators: \(operators.joined(separator: ", "))")
        }
    }
}
