import InterlockAudit
import InterlockInspect
import InterlockProfile
import InterlockSecrets

/// One sandboxed run, from what the command line asked for to the exit status. `prepare` takes
/// the request to a finished `LaunchPlan` in named phases (resolve the profile, approve it,
/// open the audit log, scan for secrets, plan the launch, plan inspection); `run` hands the
/// plan to the supervisor. The policy is not changed after it is resolved.
public struct SandboxRun {
    public let policy: Policy
    public let workspace: String
    /// The agent profile layered under the project's, and its state paths missing on this host.
    public let agent: (profile: AgentProfile, skipped: [String])?
    public let secrets: SecretsReport
    public let plan: LaunchPlan
    public let runID: String
    private let cgroups: CgroupHost
    private let log: AuditLog

    public static func prepare(_ request: RunRequest, observer: some RunObserver) throws(LaunchError) -> SandboxRun {
        let caller = request.caller
        let (policy, workspace) = try request.selection.resolve(caller: caller, learn: request.learn)
        try approve(policy, request: request, observer: observer)
        StartupTrace.mark("binary start, arguments, profile load and approval")
        let runID = Supervisor.newRunID()
        let log = try openAuditLog(request, runID: runID)
        let cgroups = CgroupHost.detect()
        // INTERLOCK_TEST_*: fault injection for the adversarial suite, the supervisor's alone.
        let environment = caller.environment.filter { !$0.hasPrefix("INTERLOCK_SANDBOX=") && !$0.hasPrefix("INTERLOCK_TEST_") }
        let realHome = CallerContext.realPath(caller.home) ?? caller.home
        observer.scanning(workspace: workspace)
        let secrets = SecretsScanner.scan(home: realHome, workspace: workspace, environment: environment, policy: policy.secrets,
                                          cacheDirectory: caller.scanCacheDirectory, index: request.scanIndex)
        observer.scanned(secrets)
        StartupTrace.mark("secrets scan (\(secrets.scanStats.filesVisited) files, \(secrets.scanStats.cacheHits) cached, source \(secrets.scanStats.source)\(secrets.scanStats.indexNote.map { "; index: " + $0 } ?? ""))")
        // The command starts where the user is, if that is inside the workspace.
        let cwd = CallerContext.realPath(caller.currentDirectory) ?? workspace
        let inside = cwd == workspace || cwd.hasPrefix(workspace + "/")
        var plan = try LaunchPlan.make(policy: policy, workspace: workspace, workingDirectory: inside ? cwd : workspace,
                                       command: request.command, environment: environment, home: caller.home, cgroups: cgroups,
                                       secrets: secrets, runID: runID)
        StartupTrace.mark("host sockets, command lookup")
        try plan.addInspection(policy: policy, runID: runID, home: realHome, callerEnvironment: caller.environmentDictionary,
                               hiddenFiles: secrets.hidden.filter { !$0.isDirectory }.map(\.path),
                               approvalDirectory: ApprovalSocket.directory(environment: caller.environmentDictionary))
        let agent = try request.selection.agentProfile(home: caller.home)
        return SandboxRun(policy: policy, workspace: workspace, agent: agent.map { (profile: $0.0, skipped: $0.skipped) },
                          secrets: secrets, plan: plan, runID: runID, cgroups: cgroups, log: log)
    }

    /// Supervises the command until it ends; every refusal is in the audit log, counted in the outcome.
    public func run() throws(LaunchError) -> Supervisor.Outcome {
        try Supervisor(plan: plan, policy: policy, cgroupHost: cgroups, runID: runID, log: log).run()
    }

    /// A profile the user has not approved as it is does not run.
    private static func approve(_ policy: Policy, request: RunRequest, observer: some RunObserver) throws(LaunchError) {
        let approval = ProfileApproval(environment: request.caller.environmentDictionary, home: request.caller.home)
        do {
            observer.approved(try approval.check(policy, named: request.selection.profile != nil))
        } catch let error as ProfileError {
            throw .profile(error)
        } catch {
            throw .invalid("\(error)")
        }
    }

    /// The audit log exists before the view is planned: a file the supervisor creates is not
    /// something the run created. No log, no run: the log is how refusals reach the user.
    private static func openAuditLog(_ request: RunRequest, runID: String) throws(LaunchError) -> AuditLog {
        let caller = request.caller
        let path = request.auditPath.map { $0.hasPrefix("/") ? $0 : caller.currentDirectory + "/" + $0 }
            ?? AuditLog.defaultDirectory(home: caller.home, environment: caller.environmentDictionary)
                + "/\(AuditClock.fileStamp())-\(runID).jsonl"
        do { return try AuditLog(path: path) } catch { throw .setup("\(error)") }
    }
}
