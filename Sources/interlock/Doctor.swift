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
        abstract: "Report the kernel features Interlock uses; exit 1 if the profile needs one that is missing."
    )

    @OptionGroup var options: ProfileOptions

    @Flag(name: .long, help: "JSON output.")
    var json = false

    func run() throws {
        let (policy, _): (Policy, String)
        do { (policy, _) = try options.resolve() } catch { Shell.fail(error) }
        let report = HostReport.probe(policy: policy)
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
