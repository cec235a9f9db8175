import CBuildInfo

/// This build's version: what `interlock --version` and `interlock-mcp --version` print, what the
/// audit log's start record carries, and what a profile's `requires` is checked against.
/// CHANGELOG.md lists what each version changed.
public enum InterlockVersion {
    public static let current = "0.6.0"

    /// The abbreviated commit the binary was built from (`-dirty` when the tree had changes), or
    /// nil for a build outside a git checkout that was not given one.
    public static var commit: String? {
        let text = String(cString: interlock_build_commit())
        return text.isEmpty ? nil : text
    }

    /// `0.6.0 (abc1234)`, or `0.6.0` when the commit is unknown.
    public static var description: String {
        commit.map { "\(current) (\($0))" } ?? current
    }
}
