import InterlockJSON
import InterlockProfile

/// One HTTP request on an inspected host, complete (body buffered) before anything is decided.
package struct InspectedRequest {
    package var host: String
    package var method: String
    /// The request target as sent (origin-form: path and query).
    package var target: String
    /// Lowercased names, values as received, in order.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// The body was larger than the inspection limit (and `body` is empty).
    package var bodyTooLarge = false
    /// The first bytes of a body over the limit (so that a refused git push can name its refs).
    package var bodyPrefix: [UInt8] = []
    /// The body with its Content-Encoding undone, when it has one.
    package var decodedBody: [UInt8]?

    package init(host: String, method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.host = host
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    package var path: String { String(target.prefix { $0 != "?" }) }
    var query: Substring? { target.firstIndex(of: "?").map { target[target.index(after: $0)...] } }
    /// The body as the server reads it.
    var content: [UInt8] { decodedBody ?? body }

    package func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// `duplicate "Content-Type" header` when a header a reader needs is sent twice: servers
    /// take the first, the last, or both.
    func duplicateHeader(_ name: String) -> String? {
        headers.lazy.filter { $0.name == name }.count > 1 ? "duplicate \"\(FoundTokens.display(name))\" header" : nil
    }
}
