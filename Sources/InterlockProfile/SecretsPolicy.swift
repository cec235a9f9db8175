/// `[secrets]`, resolved.
public struct SecretsPolicy: Sendable, Codable, Equatable {
    public var discover: Bool = true
    public var allowFiles: [String] = []
    public var allowEnv: [String] = []
    /// `set_env = { NAME = "value" }`: variables the sandbox gets whatever the caller has.
    public var setEnv: [String: String] = [:]
    enum CodingKeys: String, CodingKey {
        case discover, allowFiles = "allow_files", allowEnv = "allow_env", setEnv = "set_env"
    }
    public init(discover: Bool = true, allowFiles: [String] = [], allowEnv: [String] = [], setEnv: [String: String] = [:]) {
        self.discover = discover
        self.allowFiles = allowFiles
        self.allowEnv = allowEnv
        self.setEnv = setEnv
    }
}
