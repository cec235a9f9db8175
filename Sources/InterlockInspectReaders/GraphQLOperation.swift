

/// What a GraphQL document asks for, as far as request rules care: each operation's type and
/// the names of its top-level fields. Aliases are seen through (`keep: volumeDelete(…)` is
/// `volumeDelete`), fragment spreads and inline fragments at the top level are expanded.
/// Every operation in the document counts, whatever `operationName` says: a server may pick
/// any of them.
struct GraphQLOperation: Equatable {
    var type: String  // query, mutation, subscription
    var name: String?
    var fields: [String]
}
