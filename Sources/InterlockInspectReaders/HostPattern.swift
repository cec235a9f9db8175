import InterlockJSON
import InterlockProfile

package enum HostPattern {
    /// `name` exactly, or `*.suffix` for any name below suffix.
    package static func matches(_ pattern: String, _ host: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
        return pattern == host
    }
}
