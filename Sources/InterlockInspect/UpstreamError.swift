import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

enum UpstreamError {
    static func describe(_ error: Error, host: String) -> String {
        if let tls = error as? NIOSSLError {
            switch tls {
            case .handshakeFailed(let inner):
                return "the TLS handshake with \(host) failed (its certificate did not verify against the host's trust store): \(inner)"
            default:
                return "TLS with \(host) failed: \(tls)"
            }
        }
        if let tls = error as? BoringSSLError {
            return "TLS with \(host) failed: \(tls)"
        }
        return "the connection to \(host) failed: \(error)"
    }
}
