import InterlockProfile

struct HomeRule: Sendable {
    var id: String
    var name: String
    var paths: [String]
    var except: [Glob]
    /// Bit mask of content rules, 0 when the rule does not look at content.
    var contentMask: UInt64
    var grantedByEnv: [String]
    /// Only paths of this kind count.
    var only: DiscoveredSecret.Kind?
}
