import InterlockProfile

/// A special-purpose address block: refused as a destination unless the profile names it.
public struct AddressClass: Sendable, Equatable, CustomStringConvertible {
    /// `loopback`, `private`, `link-local`, `unspecified`, `multicast`, `broadcast`, `reserved`.
    public var name: String
    /// The block the address is in; an IP entry names the address only if it lies within it.
    public var block: IPNetwork
    public var description: String { "\(name) (\(block))" }
}
