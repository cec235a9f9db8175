/// The fully resolved policy of one run: every `extends` applied, the chosen `[env.NAME]`
/// merged over the base, every value validated. Immutable once built; the sandbox reads only this.
public struct Policy: Sendable, Codable, Equatable {
    /// Profile files (or `builtin:NAME`) in the order they were applied, base first.
    public var sources: [String]
    /// The environment merged in, if any (`--env` or `default_env`).
    public var environment: String?
    /// Every environment the profile chain defines, sorted.
    public var environments: [String]
    /// Directory the workspace defaults to: the one holding the project profile, if any.
    public var profileDirectory: String?
    public var filesystem: FilesystemPolicy
    public var secrets: SecretsPolicy
    public var syscalls: SyscallPolicy
    public var network: NetworkPolicy
    public var limits: LimitsPolicy
    public var capabilities: CapabilitiesPolicy
    /// `[[http]]` request rules and `[[credentials]]` (TLS inspection of the hosts they name).
    public var inspection: InspectionPolicy = .init()

    /// JSON keys are the TOML names (snake_case).
    enum CodingKeys: String, CodingKey {
        case sources, environment, environments, filesystem, secrets, syscalls, network, limits, capabilities, inspection
        case profileDirectory = "profile_directory"
    }

    public init(
        sources: [String] = [], environment: String? = nil, environments: [String] = [],
        profileDirectory: String? = nil,
        filesystem: FilesystemPolicy = .init(), secrets: SecretsPolicy = .init(),
        syscalls: SyscallPolicy = .init(), network: NetworkPolicy = .init(), limits: LimitsPolicy = .init(),
        capabilities: CapabilitiesPolicy = .init(), inspection: InspectionPolicy = .init()
    ) {
        self.sources = sources
        self.environment = environment
        self.environments = environments
        self.profileDirectory = profileDirectory
        self.filesystem = filesystem
        self.secrets = secrets
        self.syscalls = syscalls
        self.network = network
        self.limits = limits
        self.capabilities = capabilities
        self.inspection = inspection
    }
}

/// Paths as written in the profile: absolute, `~/…` (the invoking user's home) or relative to
/// the workspace. The sandbox resolves them (symlinks included) at launch.
public struct FilesystemPolicy: Sendable, Codable, Equatable {
    public var readOnly: [String] = []
    public var readWrite: [String] = []
    public var hidden: [String] = []
    public var tmpfs: [String] = []
    /// Entries of the built-in protected list (`profiles/data/protected.toml`) this project takes
    /// off, by their path as written there (".vscode", "~/.bashrc").
    public var unprotect: [String] = []
    enum CodingKeys: String, CodingKey {
        case readOnly = "read_only", readWrite = "read_write", hidden, tmpfs, unprotect
    }
    public init(readOnly: [String] = [], readWrite: [String] = [], hidden: [String] = [], tmpfs: [String] = [],
                unprotect: [String] = []) {
        self.readOnly = readOnly
        self.readWrite = readWrite
        self.hidden = hidden
        self.tmpfs = tmpfs
        self.unprotect = unprotect
    }
}

public struct SecretsPolicy: Sendable, Codable, Equatable {
    public var discover: Bool = true
    public var allowFiles: [String] = []
    public var allowEnv: [String] = []
    /// `set_env = { NAME = "value" }`: variables the sandbox gets whatever the caller has.
    public var setEnv: [String: String] = [:]
    enum CodingKeys: String, CodingKey {
        case discover, allowFiles = "allow_files", allowEnv = "allow_env", setEnv = "set_env"
    }
    public init(discover: Bool = true, allowFiles: [String] = [], allowEnv: [String] = [], setEnv: [String: String] = [:]) {
        self.discover = discover
        self.allowFiles = allowFiles
        self.allowEnv = allowEnv
        self.setEnv = setEnv
    }
}

public struct SyscallPolicy: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable { case enforce, learn }
    public enum OnDeny: Sendable, Codable, Equatable, CustomStringConvertible {
        case errno(String)  // an errno name such as EPERM
        case kill

        /// `kill` or `errno:NAME` with NAME in `SyscallPolicy.errnoNumbers`; nil otherwise.
        public init?(parsing text: String) {
            if text == "kill" {
                self = .kill
                return
            }
            guard text.hasPrefix("errno:") else { return nil }
            let name = String(text.dropFirst("errno:".count))
            guard SyscallPolicy.errnoNumbers[name] != nil else { return nil }
            self = .errno(name)
        }

        /// As written in a profile: `kill` or `errno:EPERM`.
        public var description: String {
            switch self {
            case .kill: return "kill"
            case .errno(let name): return "errno:" + name
            }
        }

        /// Encoded as the profile string (`"errno:EPERM"`, `"kill"`).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let value = OnDeny(parsing: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "invalid on_deny value '\(text)'")
            }
            self = value
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    /// Errno names `on_deny = "errno:NAME"` accepts, with their Linux numbers (the generic
    /// values, shared by x86-64 and arm64).
    public static let errnoNumbers: [String: Int32] = [
        "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7,
        "ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
        "EFAULT": 14, "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20,
        "EISDIR": 21, "EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26,
        "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31, "EPIPE": 32,
        "EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36, "ENOLCK": 37, "ENOSYS": 38,
        "ENOTEMPTY": 39, "ELOOP": 40, "ENOTSOCK": 88, "EPROTONOSUPPORT": 93, "EOPNOTSUPP": 95,
        "ENOTSUP": 95, "EAFNOSUPPORT": 97, "EADDRINUSE": 98, "EADDRNOTAVAIL": 99,
        "ENETUNREACH": 101, "ECONNRESET": 104, "ETIMEDOUT": 110, "ECONNREFUSED": 111,
        "EHOSTUNREACH": 113,
    ]

    /// Values `baseline` accepts.
    public static let baselines = ["agent", "docker", "none"]
    /// Built-in rule set the profile's own rules apply on top of: `agent` (default), `docker`, or
    /// `none`. Ignored when `importPath` is set: the imported profile is the baseline then.
    public var baseline: String = "agent"
    public var deny: [String] = []
    public var allow: [String] = []
    public var onDeny: OnDeny = .errno("EPERM")
    public var mode: Mode = .enforce
    /// `import`: a Docker/OCI seccomp JSON profile, as an absolute path (the loader resolves it
    /// against the directory of the profile that names it). It replaces `baseline`.
    public var importPath: String?
    /// `[[syscalls.rules]]`, in profile order (base profile first).
    public var rules: [SyscallRuleEntry] = []
    /// Where `deny`, `allow`, `rules` and `import` were written, for error messages. Not part of
    /// the policy's value: not encoded, and ignored by `==`.
    public var locations = SyscallSourceLocations()

    enum CodingKeys: String, CodingKey {
        case baseline, deny, allow, onDeny = "on_deny", mode, importPath = "import", rules
    }
    public init(baseline: String = "agent", deny: [String] = [], allow: [String] = [],
                onDeny: OnDeny = .errno("EPERM"), mode: Mode = .enforce,
                importPath: String? = nil, rules: [SyscallRuleEntry] = []) {
        self.baseline = baseline
        self.deny = deny
        self.allow = allow
        self.onDeny = onDeny
        self.mode = mode
        self.importPath = importPath
        self.rules = rules
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baseline = try c.decode(String.self, forKey: .baseline)
        deny = try c.decode([String].self, forKey: .deny)
        allow = try c.decode([String].self, forKey: .allow)
        onDeny = try c.decode(OnDeny.self, forKey: .onDeny)
        mode = try c.decode(Mode.self, forKey: .mode)
        importPath = try c.decodeIfPresent(String.self, forKey: .importPath)
        rules = try c.decodeIfPresent([SyscallRuleEntry].self, forKey: .rules) ?? []
    }

    /// Every key is written; an unset `import` as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(deny, forKey: .deny)
        try c.encode(allow, forKey: .allow)
        try c.encode(onDeny, forKey: .onDeny)
        try c.encode(mode, forKey: .mode)
        try c.encode(importPath, forKey: .importPath)
        try c.encode(rules, forKey: .rules)
    }
}

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

/// A place in a profile file: `FILE:LINE` (FILE as `ProfileError` names it).
public struct SourceLocation: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// Where the `[syscalls]` entries of a resolved policy were written, so that problems found later
/// (an unknown syscall name, an import that does not parse) can name file and line. Entries of
/// the merged arrays keep the location of the profile that first listed them.
///
/// Only a side table for messages: any two tables compare equal.
public struct SyscallSourceLocations: Sendable, Equatable {
    /// By syscall name.
    public var deny: [String: SourceLocation] = [:]
    /// By syscall name.
    public var allow: [String: SourceLocation] = [:]
    /// Parallel to `SyscallPolicy.rules` (when it was filled by the loader).
    public var rules: [SourceLocation] = []
    public var importPath: SourceLocation?

    public init() {}

    public static func == (lhs: SyscallSourceLocations, rhs: SyscallSourceLocations) -> Bool { true }
}

/// `[capabilities]`: everything is dropped in the sandbox except `keep` (capability names such as
/// `CAP_NET_BIND_SERVICE`, held inside the sandbox's user namespace only).
public struct CapabilitiesPolicy: Sendable, Codable, Equatable {
    public var keep: [String] = []
    public init(keep: [String] = []) {
        self.keep = keep
    }
}

/// `[network]`. Every value was validated by the loader (see `EgressEntry` for the grammar of
/// `egress` and `deny`).
public struct NetworkPolicy: Sendable, Codable, Equatable {
    /// Where the sandbox may connect: `EgressEntry` texts, as written.
    public var egress: [String] = []
    /// Entries that override `egress` (same grammar; without a port they cover every port).
    public var deny: [String] = []
    /// `hosts = { "api.staging.test" = "127.0.0.1" }`: names the egress proxy resolves itself,
    /// never through DNS. Keys are lowercased host names without a trailing dot; values are IP
    /// addresses in canonical form (`IPAddress.description`). A name mapped here to a loopback,
    /// private or link-local address is allowed to reach it (it is named explicitly); it still
    /// needs an `egress` entry. Merged by name: a later profile or the environment replaces a name.
    public var hosts: [String: String] = [:]
    /// Filesystem unix sockets the sandbox may connect to, as written (absolute, `~/…` or
    /// relative to the workspace): each one is granted on its own.
    public var unixSockets: [String] = []

    enum CodingKeys: String, CodingKey {
        case egress, deny, hosts, unixSockets = "unix_sockets"
    }

    public init(egress: [String] = [], deny: [String] = [], hosts: [String: String] = [:], unixSockets: [String] = []) {
        self.egress = egress
        self.deny = deny
        self.hosts = hosts
        self.unixSockets = unixSockets
    }
}

public struct LimitsPolicy: Sendable, Codable, Equatable {
    /// Bytes.
    public var memory: UInt64?
    public var pids: Int?
    /// CPU cores (fractional allowed): 1.5 means one and a half cores of bandwidth.
    public var cpu: Double?
    public var openFiles: Int?
    enum CodingKeys: String, CodingKey {
        case memory, pids, cpu, openFiles = "open_files"
    }
    public init(memory: UInt64? = nil, pids: Int? = nil, cpu: Double? = nil, openFiles: Int? = nil) {
        self.memory = memory
        self.pids = pids
        self.cpu = cpu
        self.openFiles = openFiles
    }
}

// Unset optionals are written as `null` rather than left out, so every key is always present.
extension Policy {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sources, forKey: .sources)
        try c.encode(environment, forKey: .environment)
        try c.encode(environments, forKey: .environments)
        try c.encode(profileDirectory, forKey: .profileDirectory)
        try c.encode(filesystem, forKey: .filesystem)
        try c.encode(secrets, forKey: .secrets)
        try c.encode(syscalls, forKey: .syscalls)
        try c.encode(network, forKey: .network)
        try c.encode(limits, forKey: .limits)
        try c.encode(capabilities, forKey: .capabilities)
        try c.encode(inspection, forKey: .inspection)
    }
}

extension LimitsPolicy {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(memory, forKey: .memory)
        try c.encode(pids, forKey: .pids)
        try c.encode(cpu, forKey: .cpu)
        try c.encode(openFiles, forKey: .openFiles)
    }
}
