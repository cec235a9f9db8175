#if canImport(Glibc)
import Glibc
#endif
import InterlockSandbox

/// What an installed copy needs beside the kernel: `interlock-mcp` next to the binary (the one
/// place `interlock mcp` looks), and the binary's directory on PATH (what `SHELL=interlock-shell`
/// and an agent's tool configuration resolve). Neither is required for `run`, so neither fails
/// `doctor`; each says what to fix.
enum InstallCheck {
    static func checks(executable: String?, path: String?) -> [HostReport.Check] {
        guard let executable, let slash = executable.lastIndex(of: "/") else {
            return [HostReport.Check.advisory("installation", ok: false, detail: "cannot find this binary (/proc/self/exe)")]
        }
        let directory = slash == executable.startIndex ? "/" : String(executable[..<slash])
        return [helper(directory: directory), onPath(executable: executable, directory: directory, path: path ?? "")]
    }

    static func helper(directory: String) -> HostReport.Check {
        let helper = directory == "/" ? "/interlock-mcp" : directory + "/interlock-mcp"
        if access(helper, X_OK) == 0 {
            return HostReport.Check.advisory("interlock-mcp", ok: true, detail: helper)
        }
        return HostReport.Check.advisory("interlock-mcp", ok: false, detail: "\(helper) is missing: `interlock mcp` needs it; install both binaries together (make install, or the package)")
    }

    /// The first `interlock` PATH finds, compared with this binary by real path.
    static func onPath(executable: String, directory: String, path: String) -> HostReport.Check {
        for entry in path.split(separator: ":") where entry.hasPrefix("/") {
            let candidate = String(entry) + "/interlock"
            guard access(candidate, X_OK) == 0 else { continue }
            if Shell.realPath(candidate) == executable {
                return HostReport.Check.advisory("PATH", ok: true, detail: "\(entry) (interlock found on PATH)")
            }
            return HostReport.Check.advisory("PATH", ok: false, detail: "PATH finds \(candidate) before this binary (\(executable)): put \(directory) earlier in PATH, or remove the other copy")
        }
        return HostReport.Check.advisory("PATH", ok: false, detail: "\(directory) is not on PATH: add it (export PATH=\"\(directory):$PATH\") so shells and agents find interlock")
    }
}
