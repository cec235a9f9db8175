/// `[syscalls]`, resolved.
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
