#if canImport(Glibc)
import Glibc
#endif
import InterlockInspect

/// Answers held requests through the approval sockets of the running sandboxes (`approve`, `deny`).
enum Answer {
    static var directory: String { ApprovalSocket.directory(environment: Shell.environmentDictionary()) }

    static func send(approve: Bool, id: String) {
        guard let run = ApprovalSocket.runID(ofRequest: id), !run.contains("/") else {
            Shell.printError("'\(id)' is not a request id (RUN-N)")
            exit(2)
        }
        switch ApprovalSocket.send("\(approve ? "approve" : "deny") \(id)", to: ApprovalSocket.path(directory: directory, runID: run)) {
        case .success(let answer):
            let text = answer.trimmingCharacters()
            if text.hasPrefix("error:") {
                Shell.printError(String(text.dropFirst(7)))
                exit(1)
            }
            print(text)
        case .failure(let error):
            Shell.printError("run \(run) is not waiting for answers (\(error))")
            exit(1)
        }
    }

    static func list() {
        let dir = directory
        guard let handle = opendir(dir) else {
            print("nothing held")
            return
        }
        var sockets: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("approve-"), name.hasSuffix(".sock") { sockets.append(dir + "/" + name) }
        }
        closedir(handle)
        var any = false
        for socket in sockets.sorted() {
            guard case .success(let answer) = ApprovalSocket.send("list", to: socket) else { continue }
            for line in answer.split(separator: "\n") where line.contains("\t") {
                print(line)
                any = true
            }
        }
        if !any { print("nothing held") }
    }
}
