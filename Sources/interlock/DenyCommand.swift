import ArgumentParser

/// `interlock deny ID`: refuse a request an `ask` rule held.
struct DenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deny", abstract: "Refuse a held request.")
    @Argument(help: "The request id (RUN-N), as the supervisor printed it.")
    var id: String

    func run() throws { Answer.send(approve: false, id: id) }
}
