#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

/// `Codable` leaves out `keptEnvironment`: its values may hold granted secrets, and a report is
/// meant to be shown.
public struct SecretsReport: Sendable, Codable {
    /// Discovered and not granted: the sandbox must not see these. Sorted by path; nothing here is
    /// inside another hidden directory of the list.
    public var hidden: [DiscoveredSecret] = []
    /// Discovered and granted by the profile: stay visible. Sorted by path.
    public var granted: [DiscoveredSecret] = []
    /// Secret variables of the caller's environment, granted or not, in environment order.
    public var environment: [SecretEnvironmentVariable] = []
    /// The environment to give the sandbox: the caller's, minus the secret variables not granted.
    public var keptEnvironment: [String] = []
    public var scanStats = SecretsScanStats()
    /// What discovery found but could not act on (a credential directory holding the workspace,
    /// an unreadable directory), one line each.
    public var warnings: [String] = []
    /// The content-scan cache the workspace scan used (absolute, outside the workspace), if any.
    public var cacheDirectory: String?

    /// Names of the variables removed.
    public var scrubbedEnvironment: [String] { environment.filter { !$0.granted }.map(\.name) }

    enum CodingKeys: String, CodingKey {
        case hidden, granted, environment, scanStats = "scan_stats", warnings
    }

    public init() {}
}
