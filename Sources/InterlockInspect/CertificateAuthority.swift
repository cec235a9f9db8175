#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import NIOSSL
import Synchronization
import X509

/// The per-run CA of TLS inspection: created in the supervisor when the run starts, its private
/// key lives only in this process's memory. The sandbox gets the certificate (to trust it) and
/// a leaf for each inspected host it connects to, minted on first use and cached.
public final class CertificateAuthority: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// PEM of the CA certificate (what the sandbox trusts).
    public let certificatePEM: String
    private let caKey: Certificate.PrivateKey
    private let caName: DistinguishedName
    private let caKeyID: ArraySlice<UInt8>
    /// One key for every leaf: minting a leaf then costs one signature.
    private let leafKey: P256.Signing.PrivateKey
    private let leafKeyForTLS: NIOSSLPrivateKey
    private let caCertificateForTLS: NIOSSLCertificate
    private let leaves = Mutex<[String: NIOSSLContext]>([:])

    /// `runID` names the CA (its subject says which run it belongs to).
    public init(runID: String) throws(Failure) {
        do {
            let key = P256.Signing.PrivateKey()
            caKey = Certificate.PrivateKey(key)
            let name = try DistinguishedName {
                OrganizationName("Interlock")
                CommonName("Interlock inspection CA, run \(runID)")
            }
            caName = name
            let publicKey = Certificate.PublicKey(key.publicKey)
            let keyID = SubjectKeyIdentifier(hash: publicKey).keyIdentifier
            caKeyID = keyID
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - 3600, notValidAfter: now + 7 * 86400, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(keyIdentifier: keyID)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
            caCertificateForTLS = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
            leafKey = P256.Signing.PrivateKey()
            leafKeyForTLS = try NIOSSLPrivateKey(bytes: Array(leafKey.derRepresentation), format: .der)
        } catch {
            throw Failure(description: "cannot create the inspection CA: \(error)")
        }
    }

    /// A TLS server context presenting a certificate for `host` (a name),
    /// offering HTTP/1.1 only (ALPN), so an HTTP/2 client falls back to HTTP/1.1.
    public func serverContext(for host: String) throws(Failure) -> NIOSSLContext {
        if let cached = leaves.withLock({ $0[host] }) { return cached }
        do {
            let now = Date()
            let name = GeneralName.dnsName(host)
            let leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 2 * 86400, issuer: caName,
                subject: try DistinguishedName { CommonName(String(host.prefix(64))) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([name])
                    AuthorityKeyIdentifier(keyIdentifier: caKeyID)
                },
                issuerPrivateKey: caKey)
            let leafForTLS = try NIOSSLCertificate(bytes: Array(try leaf.serializeAsPEM().pemString.utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(leafForTLS), .certificate(caCertificateForTLS)], privateKey: .privateKey(leafKeyForTLS))
            configuration.applicationProtocols = ["http/1.1"]
            let context = try NIOSSLContext(configuration: configuration)
            leaves.withLock { $0[host] = context }
            return context
        } catch {
            throw Failure(description: "cannot mint a certificate for \(host): \(error)")
        }
    }
}

