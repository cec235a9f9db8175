/// One profile, read and validated on its own: its `extends`, `default_env`, base layer and
/// `[env.NAME]` layers.
struct ParsedProfile {
    var extends: [Located<String>] = []
    var defaultEnvironment: Located<String>?
    var base = ProfileLayer()
    /// In document order.
    var environments: [(name: String, layer: ProfileLayer)] = []
}
