import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// One decision about one request on an inspected host: an audit record (`kind: request`).
///
/// `action`: `allow` (forwarded), `deny` (refused by a rule, a found credential or an unreadable
/// body), `ask` (held for a human), `approve` / `refuse` (the human's answer, or the timeout:
/// `decidedBy` says which), `error` (forwarded, but the real host failed: `reason`).
public struct InspectEvent: Sendable {
    public var action: String
    public var host: String
    public var method: String
    public var path: String
    /// What was matched: `mutation volumeDelete`, `DELETE /v1/volumes/7`.
    public var what: String
    public var rule: String
    public var reason: String?
    public var decidedBy: String?
    public var requestID: String?
    /// Header names the credential broker injected.
    public var injected: [String] = []
    public var connectionID: UInt64
    /// A git request: the repository, and for a push the ref with its old and new ids.
    public var git: GitRecord?
}
