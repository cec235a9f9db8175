/// Paths as written in the profile: absolute, `~/…` (the invoking user's home) or relative to
/// the workspace. The sandbox resolves them (symlinks included) at launch.
public struct FilesystemPolicy: Sendable, Codable, Equatable {
    public var readOnly: [String] = []
    public var readWrite: [String] = []
    public var hidden: [String] = []
    public var tmpfs: [String] = []
    /// Entries of the built-in protected list (`profiles/data/protected.toml`) this project takes
    /// off, by their path as written there (".vscode", "~/.bashrc").
    public var unprotect: [String] = []
    enum CodingKeys: String, CodingKey {
        case readOnly = "read_only", readWrite = "read_write", hidden, tmpfs, unprotect
    }
    public init(readOnly: [String] = [], readWrite: [String] = [], hidden: [String] = [], tmpfs: [String] = [],
                unprotect: [String] = []) {
        self.readOnly = readOnly
        self.readWrite = readWrite
        self.hidden = hidden
        self.tmpfs = tmpfs
        self.unprotect = unprotect
    }
}
