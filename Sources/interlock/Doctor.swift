import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSandbox

/// What this host's kernel offers, and whether the chosen profile can be enforced here.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the kernel features Interlock uses and how this copy is installed; exit 1 if the profile needs a missing feature."
    )

    @OptionGroup var options: ProfileOptions

    @Flag(name: .long, help: "JSON output.")
    var json = false

    func run() throws {
        let (policy, _): (Policy, String)
        do { (policy, _) = try options.resolve() } catch { Shell.fail(error) }
        var report = HostReport.probe(policy: policy)
        report.checks += InstallCheck.checks(executable: Shell.realPath("/proc/self/exe"),
                                             path: Shell.environmentDictionary()["PATH"])
        if json {
            print(report.json())
        } else {
            for check in report.checks {
                let mark = check.ok ? "ok " : (check.required ? "MISSING" : "no ")
                print("\(mark.padding(7))  \(check.name.padding(22))  \(check.detail)")
            }
        }
        if report.checks.contains(where: { $0.required && !$0.ok }) { throw ExitCode(1) }
    }
}
