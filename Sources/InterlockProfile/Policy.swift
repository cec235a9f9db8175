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

    /// JSON keys are the TOML names (snake_case).
    enum CodingKeys: String, CodingKey {
        case sources, environment, environments, filesystem, secrets, syscalls, network, limits
        case profileDirectory = "profile_directory"
    }

    public init(
        sources: [String] = [], environment: String? = nil, environments: [String] = [],
        profileDirectory: String? = nil,
        filesystem: FilesystemPolicy = .init(), secrets: SecretsPolicy = .init(),
        syscalls: SyscallPolicy = .init(), network: NetworkPolicy = .init(), limits: LimitsPolicy = .init()
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
    }
}

/// Paths as written in the profile: absolute, `~/…` (the invoking user's home) or relative to
/// the workspace. The sandbox resolves them (symlinks included) at launch.
public struct FilesystemPolicy: Sendable, Codable, Equatable {
    public var readOnly: [String] = []
    public var readWrite: [String] = []
    public var hidden: [String] = []
    public var tmpfs: [String] = []
    enum CodingKeys: String, CodingKey {
        case readOnly = "read_only", readWrite = "read_write", hidden, tmpfs
    }
    public init(readOnly: [String] = [], readWrite: [String] = [], hidden: [String] = [], tmpfs: [String] = []) {
        self.readOnly = readOnly
        self.readWrite = readWrite
        self.hidden = hidden
        self.tmpfs = tmpfs
    }
}

public struct SecretsPolicy: Sendable, Codable, Equatable {
    public var discover: Bool = true
    public var allowFiles: [String] = []
    public var allowEnv: [String] = []
    enum CodingKeys: String, CodingKey {
        case discover, allowFiles = "allow_files", allowEnv = "allow_env"
    }
    public init(discover: Bool = true, allowFiles: [String] = [], allowEnv: [String] = []) {
        self.discover = discover
        self.allowFiles = allowFiles
        self.allowEnv = allowEnv
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
    /// Built-in deny list: `agent` (default), `docker`, or `none`.
    public var baseline: String = "agent"
    public var deny: [String] = []
    public var allow: [String] = []
    public var onDeny: OnDeny = .errno("EPERM")
    public var mode: Mode = .enforce
    enum CodingKeys: String, CodingKey {
        case baseline, deny, allow, onDeny = "on_deny", mode
    }
    public init(baseline: String = "agent", deny: [String] = [], allow: [String] = [],
                onDeny: OnDeny = .errno("EPERM"), mode: Mode = .enforce) {
        self.baseline = baseline
        self.deny = deny
        self.allow = allow
        self.onDeny = onDeny
        self.mode = mode
    }
}

public struct NetworkPolicy: Sendable, Codable, Equatable {
    public var egress: [String] = []
    public var deny: [String] = []
    public init(egress: [String] = [], deny: [String] = []) {
        self.egress = egress
        self.deny = deny
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
