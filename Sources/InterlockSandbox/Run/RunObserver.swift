import InterlockProfile
import InterlockSecrets

/// What a run tells the person who started it while it prepares: the CLI prints these, the
/// run itself prints nothing. Every method has a default that does nothing.
public protocol RunObserver {
    /// Approval did something worth saying (a first use recorded, say).
    func approved(_ outcome: ProfileApproval.Outcome)
    /// The secrets scan starts; it may take a while on a first run.
    func scanning(workspace: String)
    /// The secrets scan is done.
    func scanned(_ report: SecretsReport)
}

extension RunObserver {
    public func approved(_ outcome: ProfileApproval.Outcome) {}
    public func scanning(workspace: String) {}
    public func scanned(_ report: SecretsReport) {}
}
