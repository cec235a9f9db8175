#if canImport(Glibc)
import Glibc
#endif
import InterlockInspect

/// TLS inspection for one run, when the profile asks for it: the request inspector (rules,
/// credential broker), and the approval desk with its socket for requests held for a human.
struct InspectionSession {
    let inspector: RequestInspector
    let desk: ApprovalDesk?
    let server: ApprovalServer?

    /// `terminal`: the user sits at the sandbox's terminal, so a held request is asked there;
    /// otherwise it is announced on stderr with the commands that answer it.
    init(plan: InspectionPlan, runID: String, terminal: Bool, prompt: TerminalPrompt,
         events: @escaping @Sendable (InspectEvent) -> Void) throws {
        var desk: ApprovalDesk?
        var server: ApprovalServer?
        if let socket = plan.approvalSocket {
            let held = ApprovalDesk(runID: runID) { held, timeout in
                if terminal { return prompt.ask(held, timeout: timeout) }
                var line = "\r\ninterlock: held for approval: \(held.summary)\r\n"
                line += "interlock:   interlock approve \(held.id)   |   interlock deny \(held.id)   (refused in \(timeout) s)\r\n"
                line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            }
            server = try ApprovalServer(path: socket, desk: held)
            desk = held
            prompt.attach(held)
        }
        inspector = try RequestInspector(settings: plan.settings, authority: plan.authority, desk: desk, audit: events)
        self.desk = desk
        self.server = server
    }

    /// Refuses whatever is still held ("the run ended") and closes the approval socket.
    func end() {
        desk?.refuseAll(by: "the run ended")
        server?.shutdown()
    }
}
