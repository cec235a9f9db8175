import InterlockJSON
import InterlockProfile

/// Finds the GraphQL documents of a request: a JSON body (`{"query": …}` or a batched array of
/// them), `application/graphql`, a form body or the URL's `query=` parameter.
enum GraphQLExtraction {
    enum Failure: Error {
        /// Nothing that could carry GraphQL (no body, no `query` parameter).
        case notGraphQL
        /// It could, but it cannot be read: refused by any rule that needs it.
        case unreadable(String)
    }

    /// A document is read only where every server reads the same one: a JSON body with a key
    /// twice, or a `query` parameter given twice, is unreadable.
    static func operations(in request: InspectedRequest) -> Result<[GraphQLOperation], Failure> {
        if request.bodyTooLarge { return .failure(.unreadable("the body is larger than Interlock inspects")) }
        var documents: [String] = []
        if !request.body.isEmpty {
            if let problem = request.duplicateHeader("content-type") { return .failure(.unreadable(problem)) }
            switch bodyDocuments(request) {
            case .success(let found): documents += found
            case .failure(let failure): return .failure(failure)
            }
        }
        if let query = request.query {
            let texts = FormEncoding.fields(query).filter { $0.0 == "query" }
            guard texts.count < 2 else { return .failure(.unreadable("duplicate \"query\" parameter in the URL")) }
            documents += texts.map(\.1)
        }
        guard !documents.isEmpty else { return .failure(.notGraphQL) }
        var operations: [GraphQLOperation] = []
        for document in documents {
            do {
                operations += try GraphQLDocument.operations(document)
            } catch {
                return .failure(.unreadable("the GraphQL document does not parse: \(error.message)"))
            }
        }
        return .success(operations)
    }
}

extension GraphQLExtraction {
    static func bodyDocuments(_ request: InspectedRequest) -> Result<[String], Failure> {
        let type = (request.header("content-type") ?? "").lowercased()
        if type.hasPrefix("application/graphql") {
            return .success([String(decoding: request.content, as: UTF8.self)])
        }
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let queries = FormEncoding.fields(String(decoding: request.content, as: UTF8.self)[...]).filter { $0.0 == "query" }
            guard queries.count < 2 else { return .failure(.unreadable("duplicate \"query\" parameter in the form body")) }
            guard let query = queries.first?.1 else { return .failure(.unreadable("the form body has no 'query' field")) }
            return .success([query])
        }
        if type.hasPrefix("multipart/") {
            return .failure(.unreadable("multipart GraphQL requests are not inspected"))
        }
        let json: JSONValue
        do {
            json = try RequestJSON.read(request.content)
        } catch {
            return .failure(.unreadable(error.ambiguous ? "\(error.message) in the JSON body" : "the body is not valid JSON (\(error.message))"))
        }
        let items: [JSONValue]
        if case .array(let batch) = json { items = batch } else { items = [json] }
        guard !items.isEmpty else { return .failure(.unreadable("an empty batch")) }
        var documents: [String] = []
        for item in items {
            if let other = item.keys.first(where: { $0 != "query" && RequestJSON.foldedKey($0) == "query" }) {
                return .failure(.unreadable("a \"\(RequestJSON.shown(other))\" key, which Go's JSON reader takes for \"query\""))
            }
            guard let query = item["query"]?.stringValue else {
                return .failure(.unreadable("a request without a 'query' text (persisted queries are not inspected)"))
            }
            documents.append(query)
        }
        return .success(documents)
    }
}
