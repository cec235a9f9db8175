import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// A credential the supervisor read at start, to inject into requests to one host.
public struct BrokeredCredential: Sendable {
    public var host: String
    /// As written in the profile (`Authorization`).
    public var header: String
    /// The whole header value (template filled in). Never logged.
    public var value: String
    public var onPresent: CredentialEntry.OnPresent
    public var source: String

    public init(host: String, header: String, value: String, onPresent: CredentialEntry.OnPresent, source: String) {
        self.host = host
        self.header = header
        self.value = value
        self.onPresent = onPresent
        self.source = source
    }
}
