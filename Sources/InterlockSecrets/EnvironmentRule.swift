import InterlockProfile

struct EnvironmentRule: Sendable {
    enum Kind: Sendable {
        case name([(text: String, glob: Glob)])
        case tokenValue
        case urlPassword
    }
    var id: String
    var name: String
    var kind: Kind
}
