#if canImport(Glibc)
import Glibc
#endif

/// Profile approval: a changed profile runs only once the user has seen it. A profile seen for
/// the first time is not trusted on sight either: a sandboxed run may have written it (a new
/// `.interlock.toml` in a subdirectory), and the next run must not pick it up unseen.
/// `interlock init` approves what it writes; `interlock profile trust` approves by hand.
public struct ProfileApproval: Sendable {
    /// Where the approvals are kept: `$XDG_STATE_HOME/interlock/trust`, outside any workspace.
    public let directory: String

    public init(environment: [String: String], home: String) {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        directory = state + "/interlock/trust"
    }

    /// Why a run did not start: the user did not approve the profile (exit 2).
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// What approval did, for a verbose run to say.
    public enum Outcome: Sendable, Equatable {
        /// Built-in, or approved as it is.
        case alreadyApproved
        /// First use of a profile named on the command line: naming it approved it.
        case recordedFirstUse(String)
        /// The user approved it at the prompt.
        case approvedAtPrompt
    }

    /// Every file whose content the approval covers: the profile, what it extends, an imported
    /// seccomp profile. Agent profiles are built in.
    public static func files(_ policy: Policy) -> [String] {
        policy.sources.filter { !$0.hasPrefix("builtin:agents/") } + (policy.syscalls.importPath.map { [$0] } ?? [])
    }

    /// Records `policy`'s profile as approved as it is now; nil for a built-in (nothing to approve).
    public func approve(_ policy: Policy) throws(ProfileError) -> String? {
        guard let profile = policy.sources.last, profile.hasPrefix("/") else { return nil }
        try ProfileTrust.record(profile: profile, fingerprint: ProfileTrust.fingerprint(files: Self.files(policy)), directory: directory)
        return profile
    }

    /// Checks that `policy` is approved. `named`: the user gave the profile on the command line
    /// (`--profile PATH`): naming it approves it the first time; a later change still needs
    /// approval. Otherwise the user is asked on the terminal, if there is one.
    public func check(_ policy: Policy, named: Bool) throws -> Outcome {
        guard let profile = policy.sources.last, profile.hasPrefix("/") else { return .alreadyApproved }  // built-ins need no approval
        let fingerprint = ProfileTrust.fingerprint(files: Self.files(policy))
        let what: String
        switch ProfileTrust.status(profile: profile, fingerprint: fingerprint, directory: directory) {
        case .trusted:
            return .alreadyApproved
        case .new where named:
            try ProfileTrust.record(profile: profile, fingerprint: fingerprint, directory: directory)
            return .recordedFirstUse(profile)
        case .new:
            what = "\(profile) has not been approved yet"
        case .changed:
            what = "\(profile) (or a file it extends) changed since you last approved it"
        }
        guard let answer = Self.askOnTerminal("\(what) (see `interlock profile show`). Run with it? [y/N] ") else {
            throw Refusal(description: "\(what). Review it with `interlock profile show`, then approve it with `interlock profile trust \(profile)`.")
        }
        guard answer else { throw Refusal(description: "not approved: nothing was run") }
        try ProfileTrust.record(profile: profile, fingerprint: fingerprint, directory: directory)
        return .approvedAtPrompt
    }

    /// Asks a yes/no question on the controlling terminal (`/dev/tty`, so a piped stdin cannot
    /// answer it); nil when stdin or stderr is not a terminal.
    private static func askOnTerminal(_ question: String) -> Bool? {
        guard isatty(0) == 1, isatty(2) == 1, let tty = fopen("/dev/tty", "r") else { return nil }
        defer { fclose(tty) }
        var text = "interlock: \(question)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        guard getline(&line, &capacity, tty) > 0, let line else { return false }
        return String(cString: line).lowercased().hasPrefix("y")
    }
}
