/// One `[[credentials]]` entry: the supervisor reads the secret and injects `header` into every
/// request to `host`; the sandbox never sees it.
public struct CredentialEntry: Sendable, Codable, Equatable {
    public enum OnPresent: String, Sendable, Codable, CaseIterable { case refuse, strip }
    public var host: String
    public var header: String
    /// The header value; `{token}` stands for the secret (default `{token}`).
    public var value: String
    /// Absolute, or `~/…` (the invoking user's home).
    public var file: String?
    public var jsonPointer: String?
    public var env: String?
    public var onPresent: OnPresent
    public var source: String

    enum CodingKeys: String, CodingKey {
        case host, header, value, file, jsonPointer = "json_pointer", env, onPresent = "on_present", source
    }

    public init(host: String, header: String, value: String = "{token}", file: String? = nil, jsonPointer: String? = nil,
                env: String? = nil, onPresent: OnPresent = .refuse, source: String) {
        self.host = host
        self.header = header
        self.value = value
        self.file = file
        self.jsonPointer = jsonPointer
        self.env = env
        self.onPresent = onPresent
        self.source = source
    }
}

extension CredentialEntry {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(header, forKey: .header)
        try c.encode(value, forKey: .value)
        try c.encode(file, forKey: .file)
        try c.encode(jsonPointer, forKey: .jsonPointer)
        try c.encode(env, forKey: .env)
        try c.encode(onPresent, forKey: .onPresent)
        try c.encode(source, forKey: .source)
    }
}
