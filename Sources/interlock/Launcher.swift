import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockInspect
import InterlockProfile
import InterlockSandbox
import InterlockSecrets

/// One sandboxed run, from the resolved profile to the exit status: what `run` and `exec` share.
enum Launcher {
    static func run(options: ProfileOptions, command: [String], verbose: Bool, audit: String?, learn: Bool, quiet: Bool = false) -> Never {
        var (policy, workspace): (Policy, String)
        do { (policy, workspace) = try options.resolve() } catch { Shell.fail(error) }
        if learn { policy.syscalls.mode = .learn }
        Trust.check(policy: policy, verbose: verbose, named: options.profile != nil)
        StartupTrace.mark("binary start, arguments, profile load and approval")

        // The command starts where the user is, if that is inside the workspace.
        let cwd = Shell.realPath(Shell.currentDirectory()) ?? workspace
        let inside = cwd == workspace || cwd.hasPrefix(workspace + "/")
        // INTERLOCK_TEST_*: fault injection for the adversarial suite, the supervisor's alone.
        let environment = Shell.environment().filter { !$0.hasPrefix("INTERLOCK_SANDBOX=") && !$0.hasPrefix("INTERLOCK_TEST_") }
        // The audit log exists before the view is planned: a file the supervisor creates is
        // not something the run created.
        let runID = Supervisor.newRunID()
        let auditPath = audit.map { $0.hasPrefix("/") ? $0 : Shell.currentDirectory() + "/" + $0 }
            ?? AuditLog.defaultDirectory(home: Shell.home(), environment: Shell.environmentDictionary()) + "/\(AuditClock.fileStamp())-\(runID).jsonl"
        let auditLog: AuditLog
        do { auditLog = try AuditLog(path: auditPath) } catch {
            // The log is how refusals reach the user: no log, no run.
            Shell.fail(.setup("\(error)"))
        }
        let cgroups = CgroupHost.detect()
        let notice = !quiet && isatty(2) == 1
            ? SlowStepNotice(after: 1, "scanning \(workspace) and your home for credentials… (a first scan takes a while; later runs use the cache)")
            : nil
        let secrets = SecretsScanner.scan(home: Shell.realPath(Shell.home()) ?? Shell.home(), workspace: workspace,
                                          environment: environment, policy: policy.secrets, cacheDirectory: Shell.scanCacheDirectory(),
                                          index: ScanIndexStart.options())
        notice?.finish("scanned \(secrets.scanStats.filesVisited) files; \(secrets.hidden.count) credential\(secrets.hidden.count == 1 ? "" : "s") hidden")
        StartupTrace.mark("secrets scan (\(secrets.scanStats.filesVisited) files, \(secrets.scanStats.cacheHits) cached, source \(secrets.scanStats.source)\(secrets.scanStats.indexNote.map { "; index: " + $0 } ?? ""))")
        var plan: LaunchPlan
        do {
            plan = try LaunchPlan.make(policy: policy, workspace: workspace, workingDirectory: inside ? cwd : workspace,
                                       command: command, environment: environment, home: Shell.home(), cgroups: cgroups,
                                       secrets: secrets)
        } catch { Shell.fail(error) }
        StartupTrace.mark("host sockets, command lookup")
        // `set_env` replaces whatever the caller had under those names.
        let set = policy.secrets.setEnv
        let kept = secrets.keptEnvironment.filter { set[String($0.prefix { $0 != "=" })] == nil }
        plan.environment = EgressPlan.apply(to: kept + set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                            + ["INTERLOCK_SANDBOX=\(runID)"])
        do {
            try plan.addInspection(policy: policy, runID: runID, home: Shell.realPath(Shell.home()) ?? Shell.home(),
                                   callerEnvironment: Shell.environmentDictionary(),
                                   hiddenFiles: secrets.hidden.filter { !$0.isDirectory }.map(\.path),
                                   approvalDirectory: ApprovalSocket.directory(environment: Shell.environmentDictionary()))
        } catch { Shell.fail(error) }
        let supervisor = Supervisor(plan: plan, cgroupHost: cgroups, runID: runID)
        supervisor.record(to: auditLog, policy: policy)
        if verbose {
            Shell.printError("profile \(policy.sources.joined(separator: " <- "))\(policy.environment.map { ", env \($0)" } ?? ""); workspace \(workspace)")
            for warning in secrets.warnings { Shell.printError("secrets: \(warning)") }
        }
        if let found = try? options.agentProfile(), !quiet, verbose || isatty(2) == 1 {
            // Which grants came from the agent profile, so the user can tell them from the project's.
            let (agent, skipped) = found
            let project = policy.sources.last ?? "builtin:default"
            Shell.printError("agent profile \(agent.name) layered under \(project): egress \(agent.egress.joined(separator: ", ")); writable \(agent.readWrite.isEmpty ? "nothing (none of its state exists yet)" : agent.readWrite.joined(separator: ", ")); credential \(agent.allowFiles.joined(separator: ", "))\(skipped.isEmpty ? "" : "; skipped (missing): " + skipped.joined(separator: ", "))")
        }
        if verbose || (options.agent != nil && !quiet && isatty(2) == 1), policy.secrets.discover, geteuid() != 0 {
            Shell.printError("secrets view: \(HostReport.startTimeOnlySecrets)")
        }
        if verbose {
            Shell.printError("hiding \(secrets.hidden.count) credential file\(secrets.hidden.count == 1 ? "" : "s") (\(secrets.granted.count) granted), \(secrets.scrubbedEnvironment.count) secret env var\(secrets.scrubbedEnvironment.count == 1 ? "" : "s"); \(plan.mounts.hiddenPaths.count) masks in all (workspace scan: \(secrets.scanStats.source == "index" ? "from the scan index" : "full")); seccomp: \(plan.seccomp.ruleCount) rules; egress: \(policy.network.egress.count) entries through the proxy")
        }
        do {
            let outcome = try supervisor.run()
            for c in outcome.createdProtected {
                Shell.printError("warning: this run created \(c.path) — \(c.reason). Review it before anything outside the sandbox uses it.")
            }
            for f in outcome.swept {
                Shell.printError("\(f.action) \(f.path): \(f.what)\(f.movedTo.map { " (now \($0))" } ?? "")")
            }
            let blocked = outcome.blockedSyscalls
            let refused = outcome.refusedConnections
            let protectedWrites = outcome.protectedWrites
            let requests = outcome.refusedRequests
            let late = outcome.lateSecrets
            if !quiet, verbose || !blocked.isEmpty || outcome.hiddenPathOpens > 0 || !refused.isEmpty || !protectedWrites.isEmpty
                || !requests.isEmpty || !late.isEmpty || !outcome.swept.isEmpty {
                let total = blocked.values.reduce(0, +)
                let names = blocked.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key)\($0.value > 1 ? " ×\($0.value)" : "")" }
                var parts: [String] = []
                if total > 0 { parts.append("\(total) syscall\(total == 1 ? "" : "s") (\(names.joined(separator: ", ")))") }
                let dns = refused.filter { $0.key.hasPrefix("dns ") }, connections = refused.filter { !$0.key.hasPrefix("dns ") }
                func listed(_ keys: [String]) -> String {
                    keys.prefix(4).joined(separator: ", ") + (keys.count > 4 ? ", +\(keys.count - 4) more" : "")
                }
                if !connections.isEmpty {
                    let n = connections.values.reduce(0, +)
                    parts.append("\(n) connection\(n == 1 ? "" : "s") (\(listed(connections.keys.sorted())))")
                }
                if !dns.isEmpty {
                    let n = dns.values.reduce(0, +)
                    parts.append("\(n) DNS quer\(n == 1 ? "y" : "ies") (\(listed(dns.keys.sorted().map { String($0.dropFirst(4)) })))")
                }
                if !requests.isEmpty {
                    let n = requests.values.reduce(0, +)
                    parts.append("\(n) request\(n == 1 ? "" : "s") (\(listed(requests.keys.sorted())))")
                }
                if !protectedWrites.isEmpty {
                    let n = protectedWrites.values.reduce(0, +)
                    parts.append("\(n) write\(n == 1 ? "" : "s") to protected or hidden files (\(listed(protectedWrites.keys.sorted())))")
                }
                if !outcome.swept.isEmpty {
                    let n = outcome.swept.count
                    parts.append("\(n) plant\(n == 1 ? "" : "s") swept after the run (\(listed(outcome.swept.map { "\($0.action) \($0.path)" })))")
                }
                if outcome.hiddenPathOpens > 0 { parts.append("\(outcome.hiddenPathOpens) hidden file read\(outcome.hiddenPathOpens == 1 ? "" : "s")") }
                if !late.isEmpty {
                    let n = late.values.reduce(0, +)
                    parts.append("\(n) read\(n == 1 ? "" : "s") of credentials that appeared during the run (\(listed(late.keys.sorted())))")
                }
                let learned = policy.syscalls.mode == .learn && total > 0
                if learned { parts[0] = "\(total) syscall\(total == 1 ? "" : "s") (\(names.joined(separator: ", "))) allowed by learn mode" }
                let what = parts.isEmpty ? "nothing blocked" : (learned ? "recorded: " : "blocked: ") + parts.joined(separator: ", ")
                Shell.printError("exit \(outcome.exitCode) · \(what) · audit: \(outcome.auditPath ?? "none")")
            }
            StartupTrace.mark("teardown (proxy, audit, cgroups) and summary")
            Glibc.exit(outcome.exitCode)
        } catch {
            Shell.fail(error)
        }
    }
}
