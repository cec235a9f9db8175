/// `[capabilities]`: everything is dropped in the sandbox except `keep` (capability names such as
/// `CAP_NET_BIND_SERVICE`, held inside the sandbox's user namespace only).
public struct CapabilitiesPolicy: Sendable, Codable, Equatable {
    public var keep: [String] = []
    public init(keep: [String] = []) {
        self.keep = keep
    }
}
