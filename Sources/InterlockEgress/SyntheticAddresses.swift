import InterlockProfile
import NIOCore
import Synchronization

/// The addresses the sandbox's DNS gives allowed names: one shared address, or one address per
/// name from a block (kept for the proxy's lifetime, so a connection to it means that name).
final class SyntheticAddresses: Sendable {
    enum Lookup: Equatable {
        /// The address was handed out for this name.
        case name(String)
        /// The shared address, or an unassigned address of the block: it stands for no name.
        case shared
        /// Not a synthetic address.
        case none
    }

    let network: IPNetwork
    /// Nil: one shared address.
    private let capacity: UInt32?
    private struct Assignments {
        var byName: [String: IPAddress] = [:]
        var byAddress: [IPAddress: String] = [:]
        var next: UInt32 = 1
    }
    private let assignments = Mutex(Assignments())

    /// `127.0.0.2`, or an IPv4 block with at least 4 addresses (`127.100.0.0/16`); at most 65536
    /// names are handed out.
    init(_ text: String) throws(EgressError) {
        if let address = IPAddress(text) {
            guard address.isIPv4 else { throw EgressError("the synthetic address must be IPv4: \(text)") }
            network = IPNetwork(address: address, prefixLength: 32)
            capacity = nil
            return
        }
        guard case .success(let block) = IPNetwork.parse(text), block.address.isIPv4, block.prefixLength <= 30 else {
            throw EgressError("the synthetic address must be an IPv4 address or an IPv4 block of /30 or larger: '\(text)'")
        }
        network = block
        capacity = UInt32(min(UInt64(1) << UInt64(32 - block.prefixLength), 65538) - 2)
    }

    /// The address to answer for `name` (assigning one if needed); nil when the block is full.
    func address(for name: String) -> IPAddress? {
        guard let capacity else { return network.address }
        guard case .v4(let base) = network.address else { return nil }
        return assignments.withLock { state -> IPAddress? in
            if let known = state.byName[name] { return known }
            guard state.next <= capacity else { return nil }
            let address = IPAddress.v4(base + state.next)
            state.next += 1
            state.byName[name] = address
            state.byAddress[address] = name
            return address
        }
    }

    func lookup(_ address: IPAddress) -> Lookup {
        guard network.contains(address) else { return .none }
        guard capacity != nil else { return .shared }
        return assignments.withLock { $0.byAddress[address] }.map(Lookup.name) ?? .shared
    }
}
