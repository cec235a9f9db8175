#if canImport(Glibc)
import Glibc
#endif
import InterlockInspect
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import InterlockSystem

/// TLS inspection of the hosts `[[http]]` and `[[credentials]]` name, prepared in the
/// supervisor before the sandbox exists: the run's CA (its key stays in this process), the trust
/// bundle the sandbox gets, the brokered credentials (read here, never handed inside), and the
/// values of hidden credential files (so that a found token cannot be spent).
public struct InspectionPlan: Sendable {
    public var authority: CertificateAuthority
    public var settings: InspectionSettings
    /// Where `interlock approve|deny` reaches this run (nil: no rule asks).
    public var approvalSocket: String?
    /// The bundle inside the sandbox (system roots + the run's CA).
    public var bundlePath: String

    /// What tools read to find their trust anchors.
    public static let trustVariables = ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                                        "GIT_SSL_CAINFO", "PIP_CERT", "AWS_CA_BUNDLE", "CARGO_HTTP_CAINFO"]
    static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
}

extension LaunchPlan {
    /// Sets up inspection when the policy names hosts to inspect: CA, trust bundle mounted over the
    /// system bundle, trust variables, credentials resolved (their env variables and files kept
    /// from the sandbox). Fails (nothing runs) if any of it cannot be done.
    public mutating func addInspection(policy: Policy, runID: String, home: String, callerEnvironment: [String: String],
                                       hiddenFiles: [String], approvalDirectory: String?) throws(LaunchError) {
        let inspection = policy.inspection
        guard inspection.isActive else { return }
        let authority: CertificateAuthority
        do { authority = try CertificateAuthority(runID: runID) } catch { throw .setup(error.description) }
        let bundle = try addTrustBundle(authority)
        let brokered = try addBrokeredCredentials(inspection.credentials, home: home, callerEnvironment: callerEnvironment)
        mounts.steps = MountPlan.ordered(mounts.steps)
        let settings = InspectionSettings(policy: inspection, environment: policy.environment, credentials: brokered.credentials,
                                          hiddenValues: Self.hiddenValues(brokered.secrets, hiddenFiles: hiddenFiles))
        let asks = inspection.http.contains { $0.action == .ask } || inspection.foundTokens == "ask"
            || inspection.git.contains { [$0.force, $0.delete, $0.tags, $0.actionOtherwise].contains(.ask) }
        let socket = asks ? try addApprovalSocket(directory: approvalDirectory, runID: runID) : nil
        egress.inspection = InspectionPlan(authority: authority, settings: settings, approvalSocket: socket, bundlePath: bundle)

        let trust = InspectionPlan.trustVariables.map { "\($0)=\(bundle)" }
        let replaced = Set(InspectionPlan.trustVariables).union(brokered.removedVariables)
        environment = environment.filter { !replaced.contains(String($0.prefix { $0 != "=" })) } + trust
    }

    /// Trust: the system bundle plus the run's CA, mounted over the system bundle itself. Returns its path.
    private mutating func addTrustBundle(_ authority: CertificateAuthority) throws(LaunchError) -> String {
        guard let system = InspectionPlan.systemBundles.lazy.compactMap({ PathResolution.resolve($0, workspace: "/", home: "/").real })
            .first(where: { access($0, R_OK) == 0 }),
              let systemText = Self.readText(system, limit: 768 * 1024) else {
            throw .setup("TLS inspection needs the system CA bundle (\(InspectionPlan.systemBundles.joined(separator: ", "))) to extend with the run's CA")
        }
        let bundle = systemText + (systemText.hasSuffix("\n") ? "" : "\n") + "# Interlock: this run's inspection CA\n" + authority.certificatePEM
        mounts.steps.append(MountPlan.Step(kind: .generatedFile, source: bundle, target: system, origin: "network: inspection CA"))
        return system
    }

    /// Credentials: read now; the sandbox gets neither the variable nor the file.
    private mutating func addBrokeredCredentials(_ entries: [CredentialEntry], home: String, callerEnvironment: [String: String])
        throws(LaunchError) -> (credentials: [BrokeredCredential], secrets: [String], removedVariables: Set<String>) {
        var credentials: [BrokeredCredential] = []
        var secretValues: [String] = []
        var removedVariables: Set<String> = []
        for entry in entries {
            let secret: String
            if let name = entry.env {
                guard let value = callerEnvironment[name], !value.isEmpty else {
                    throw .setup("credentials (\(entry.source)): the environment variable \(name) is not set for the supervisor")
                }
                secret = value
                removedVariables.insert(name)
            } else if let file = entry.file {
                let path = file.hasPrefix("~/") ? home + file.dropFirst(1) : file
                secret = try Self.credential(fromFile: path, entry: entry)
                if let real = PathResolution.resolve(path, workspace: "/", home: "/").real, reachableInside(real) {
                    mounts.steps.append(MountPlan.Step(kind: .hideFile, source: nil, target: real, origin: "credentials (\(entry.source))"))
                }
            } else {
                continue
            }
            guard !secret.isEmpty, !secret.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .setup("credentials (\(entry.source)): the credential is empty or holds control characters")
            }
            secretValues.append(secret)
            credentials.append(BrokeredCredential(host: entry.host, header: entry.header, value: entry.value.replacing("{token}", with: secret),
                                                  onPresent: entry.onPresent, source: entry.source))
        }
        return (credentials, secretValues, removedVariables)
    }

    /// A credential file's value: the whole file (trimmed), or the string at its JSON pointer.
    private static func credential(fromFile path: String, entry: CredentialEntry) throws(LaunchError) -> String {
        guard let text = readText(path, limit: 1 << 20) else {
            throw .setup("credentials (\(entry.source)): cannot read \(path)")
        }
        guard let pointer = entry.jsonPointer else { return text.trimmingWhitespace() }
        guard let value = CredentialSource.jsonValue(text, pointer: pointer) else {
            throw .setup("credentials (\(entry.source)): \(path) has no string at JSON pointer \(pointer)")
        }
        return value
    }

    /// Values of the files this run hid (and the brokered secrets): a request carrying one is refused.
    private static func hiddenValues(_ secrets: [String], hiddenFiles: [String]) -> [String] {
        var hiddenValues = secrets
        for path in hiddenFiles.prefix(512) {
            guard let text = readText(path, limit: 64 * 1024) else { continue }
            for value in SecretRuleSet.builtin.credentialValues(in: Array(text.utf8)) where !hiddenValues.contains(value) {
                hiddenValues.append(value)
            }
        }
        return hiddenValues
    }

    /// The socket `interlock approve|deny` reaches this run through, when a rule asks.
    private mutating func addApprovalSocket(directory: String?, runID: String) throws(LaunchError) -> String? {
        guard let directory else { return nil }
        guard ApprovalSocket.prepare(directory: directory) else {
            throw .setup("cannot prepare \(directory) for the approval socket (a directory of this user, mode 0700)")
        }
        // Unreachable from inside: the directory is masked (and /tmp inside is the sandbox's own).
        if let real = PathResolution.resolve(directory, workspace: "/", home: "/").real, reachableInside(real) {
            mounts.steps.append(MountPlan.Step(kind: .hideDirectory, source: nil, target: real, origin: "approval socket"))
            mounts.steps = MountPlan.ordered(mounts.steps)
        }
        return ApprovalSocket.path(directory: directory, runID: runID)
    }

    /// Whether the sandbox could get to `path` at all (a root-invoked run's sandbox uid cannot
    /// traverse a 0700 directory such as /run/user/0): only then does it need a mask.
    func reachableInside(_ path: String) -> Bool {
        !identity.privileged || MountPlan.reachableByOthers(path, binds: mounts)
    }

    /// A text file of at most `limit` bytes; nil if it cannot be read or is larger.
    static func readText(_ path: String, limit: Int) -> String? {
        (try? FileIO.readFile(path, limit: limit)).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
