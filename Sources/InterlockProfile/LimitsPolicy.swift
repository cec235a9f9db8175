/// `[limits]`, resolved.
public struct LimitsPolicy: Sendable, Codable, Equatable {
    /// Bytes.
    public var memory: UInt64?
    public var pids: Int?
    /// CPU cores (fractional allowed): 1.5 means one and a half cores of bandwidth.
    public var cpu: Double?
    public var openFiles: Int?
    enum CodingKeys: String, CodingKey {
        case memory, pids, cpu, openFiles = "open_files"
    }
    public init(memory: UInt64? = nil, pids: Int? = nil, cpu: Double? = nil, openFiles: Int? = nil) {
        self.memory = memory
        self.pids = pids
        self.cpu = cpu
        self.openFiles = openFiles
    }
}

extension LimitsPolicy {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(memory, forKey: .memory)
        try c.encode(pids, forKey: .pids)
        try c.encode(cpu, forKey: .cpu)
        try c.encode(openFiles, forKey: .openFiles)
    }
}
