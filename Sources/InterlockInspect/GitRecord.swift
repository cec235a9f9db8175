/// The git part of a `kind: request` audit record.
public struct GitRecord: Sendable {
    /// The repository's path on the host (`acme/widget`).
    public var repository: String
    /// For a push: the ref, its id before and the id the push sets (all zeros: none).
    public var ref: String?
    public var oldID: String?
    public var newID: String?

    public init(repository: String, ref: String? = nil, oldID: String? = nil, newID: String? = nil) {
        self.repository = repository
        self.ref = ref
        self.oldID = oldID
        self.newID = newID
    }
}
