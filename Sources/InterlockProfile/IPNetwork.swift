/// A CIDR block: `10.0.0.0/8`, `fd00::/8`, or one address (`/32`, `/128`).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    /// `address` with the bits past `prefixLength` cleared.
    public init(address: IPAddress, prefixLength: Int) {
        let maxLength = address.isIPv4 ? 32 : 128
        self.prefixLength = max(0, min(prefixLength, maxLength))
        self.address = IPNetwork.masked(address, self.prefixLength)
    }

    /// `ADDRESS/PREFIX` in the strict address forms; the address must have no bits set past the
    /// prefix. Without `/PREFIX`, the single address.
    public init?(_ text: String) {
        switch IPNetwork.parse(text) {
        case .success(let network): self = network
        case .failure: return nil
        }
    }

    /// Like `init?(_:)`, with a problem message on failure.
    public static func parse(_ text: String) -> Result<IPNetwork, NetworkEntryProblem> {
        guard let slash = text.firstIndex(of: "/") else {
            guard let address = IPAddress(text) else { return .failure(NetworkEntryProblem("'\(text)' is not an IP address")) }
            return .success(IPNetwork(address: address, prefixLength: address.isIPv4 ? 32 : 128))
        }
        let addressText = String(text[..<slash])
        let prefixText = text[text.index(after: slash)...]
        guard let address = IPAddress(addressText) else {
            return .failure(NetworkEntryProblem("'\(addressText)' is not an IP address (write IPv4 as four decimal numbers, such as 10.0.0.0)"))
        }
        let maxLength = address.isIPv4 ? 32 : 128
        guard !prefixText.isEmpty, prefixText.count <= 3, prefixText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let prefix = Int(prefixText), prefix <= maxLength else {
            return .failure(NetworkEntryProblem("the prefix length must be a number from 0 to \(maxLength)"))
        }
        let network = IPNetwork(address: address, prefixLength: prefix)
        guard network.address == address else {
            return .failure(NetworkEntryProblem("\(addressText) has bits set past /\(prefix); the network is \(network)"))
        }
        return .success(network)
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.isIPv4 == address.isIPv4 else { return false }
        return IPNetwork.masked(candidate, prefixLength) == address
    }

    /// Whether every address of `self` is in `other`.
    public func isWithin(_ other: IPNetwork) -> Bool {
        prefixLength >= other.prefixLength && other.contains(address)
    }

    public var isSingleAddress: Bool { prefixLength == (address.isIPv4 ? 32 : 128) }

    /// `10.0.0.0/8`; a single address as `10.1.2.3/32`.
    public var description: String { "\(address)/\(prefixLength)" }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = prefix >= 64 ? ~0 : (prefix == 0 ? 0 : ~UInt64(0) << UInt64(64 - prefix))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - prefix))
            return .v6(high & highMask, low & lowMask)
        }
    }
}
