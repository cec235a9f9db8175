import InterlockProfile

struct ContentRuleInfo: Sendable {
    var id: String
    var name: String
    var isTokenShaped: Bool
}
