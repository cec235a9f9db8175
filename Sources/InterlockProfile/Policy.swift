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
