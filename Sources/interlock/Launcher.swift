#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSandbox
import InterlockSecrets

/// What `run` and `exec` share: builds the request, hands it to `SandboxRun`, and prints what
/// the user should see (banners on request, the summary line at exit). Exits with the
/// command's code.
enum Launcher {
    static func run(selection: ProfileSelection, command: [String], verbose: Bool, audit: String?, learn: Bool,
                    quiet: Bool = false) -> Never {
        let caller = CallerContext.current()
        let request = RunRequest(selection: selection, command: command, learn: learn, auditPath: audit,
                                 scanIndex: ScanIndexStart.options(), caller: caller)
        let run: SandboxRun
        do {
            run = try SandboxRun.prepare(request, observer: Banner(verbose: verbose, quiet: quiet))
        } catch { Shell.fail(error) }
        printBanner(run, agentRequested: selection.agent != nil, verbose: verbose, quiet: quiet)
        let outcome: Supervisor.Outcome
        do { outcome = try run.run() } catch { Shell.fail(error) }
        for c in outcome.createdProtected {
            Shell.printError("warning: this run created \(c.path) — \(c.reason). Review it before anything outside the sandbox uses it.")
        }
        for f in outcome.swept {
            Shell.printError("\(f.action) \(f.path): \(f.what)\(f.movedTo.map { " (now \($0))" } ?? "")")
        }
        let summary = RunSummary(outcome: outcome, learn: run.policy.syscalls.mode == .learn)
        if !quiet, verbose || summary.hasNews { Shell.printError(summary.line) }
        StartupTrace.mark("teardown (proxy, audit, cgroups) and summary")
        Glibc.exit(outcome.exitCode)
    }

    private static func printBanner(_ run: SandboxRun, agentRequested: Bool, verbose: Bool, quiet: Bool) {
        let policy = run.policy, secrets = run.secrets, plan = run.plan
        if verbose {
            Shell.printError("profile \(policy.sources.joined(separator: " <- "))\(policy.environment.map { ", env \($0)" } ?? ""); workspace \(run.workspace)")
            for warning in secrets.warnings { Shell.printError("secrets: \(warning)") }
        }
        if let (agent, skipped) = run.agent, !quiet, verbose || isatty(2) == 1 {
            // Which grants came from the agent profile, so the user can tell them from the project's.
            let project = policy.sources.last ?? "builtin:default"
            Shell.printError("agent profile \(agent.name) layered under \(project): egress \(agent.egress.joined(separator: ", ")); writable \(agent.readWrite.isEmpty ? "nothing (none of its state exists yet)" : agent.readWrite.joined(separator: ", ")); credential \(agent.allowFiles.joined(separator: ", "))\(skipped.isEmpty ? "" : "; skipped (missing): " + skipped.joined(separator: ", "))")
        }
        if verbose || (agentRequested && !quiet && isatty(2) == 1), policy.secrets.discover, geteuid() != 0 {
            Shell.printError("secrets view: \(HostReport.startTimeOnlySecrets)")
        }
        if verbose {
            Shell.printError("hiding \(secrets.hidden.count) credential file\(secrets.hidden.count == 1 ? "" : "s") (\(secrets.granted.count) granted), \(secrets.scrubbedEnvironment.count) secret env var\(secrets.scrubbedEnvironment.count == 1 ? "" : "s"); \(plan.mounts.hiddenPaths.count) masks in all (workspace scan: \(secrets.scanStats.source == "index" ? "from the scan index" : "full")); seccomp: \(plan.seccomp.ruleCount) rules; egress: \(policy.network.egress.count) entries through the proxy")
        }
    }

    /// Prints what preparing a run has to say: a first approval (verbose), and a notice when the
    /// secrets scan takes long, on a terminal.
    private final class Banner: RunObserver {
        let verbose: Bool
        let quiet: Bool
        var notice: SlowStepNotice?

        init(verbose: Bool, quiet: Bool) {
            self.verbose = verbose
            self.quiet = quiet
        }

        func approved(_ outcome: ProfileApproval.Outcome) {
            if verbose, case .recordedFirstUse(let profile) = outcome {
                Shell.printError("first use of \(profile), named on the command line: recording it as approved")
            }
        }

        func scanning(workspace: String) {
            guard !quiet, isatty(2) == 1 else { return }
            notice = SlowStepNotice(after: 1, "scanning \(workspace) and your home for credentials… (a first scan takes a while; later runs use the cache)")
        }

        func scanned(_ report: SecretsReport) {
            notice?.finish("scanned \(report.scanStats.filesVisited) files; \(report.hidden.count) credential\(report.hidden.count == 1 ? "" : "s") hidden")
        }
    }
}
