import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// Everything the inspector needs, resolved by the supervisor before the run starts.
public struct InspectionSettings: Sendable {
    public var rules: [HTTPRuleEntry]
    public var gitRules: [GitRuleEntry]
    public var credentials: [BrokeredCredential]
    /// The environment the run is in (for messages).
    public var environment: String?
    /// Extra trust anchors (PEM file) for the real hosts.
    public var upstreamCA: String?
    public var askTimeoutSeconds: Int
    /// `deny`, `ask` or `off`.
    public var foundTokens: String
    /// Secret values read from the credential files Interlock hid (never logged).
    public var hiddenValues: [String]
    /// Largest request body inspected; a larger one is refused.
    public var maxBodyBytes: Int = 8 << 20

    public init(policy: InspectionPolicy, environment: String?, credentials: [BrokeredCredential], hiddenValues: [String]) {
        self.rules = policy.http
        self.gitRules = policy.git
        self.credentials = credentials
        self.environment = environment
        self.upstreamCA = policy.upstreamCA
        self.askTimeoutSeconds = policy.askTimeout ?? InspectionPolicy.defaultAskTimeout
        self.foundTokens = policy.foundTokens ?? "deny"
        self.hiddenValues = hiddenValues
        self.inspectedHosts = policy.inspectedHosts
    }

    /// `name` or `*.suffix`.
    public var inspectedHosts: [String]
}
