import InterlockProfile

struct WorkspaceRule: Sendable {
    var id: String
    var name: String
    var except: [Glob]
    /// Bit mask of content rules the file must also match; 0: the name is enough.
    var contentMask: UInt64 = 0
}
