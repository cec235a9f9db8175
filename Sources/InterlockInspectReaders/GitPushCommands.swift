/// The ref update commands at the start of a `git-receive-pack` request body, read the one way
/// git's receive-pack reads them, or refused:
///
///     *( pkt-line("shallow " id) )
///     pkt-line(old SP new SP refname NUL capabilities LF)
///     *( pkt-line(old SP new SP refname LF) )
///     flush-pkt
///     [ *( pkt-line(push-option) ) flush-pkt ]     (when push-options was asked for)
///     [ pack ]                                     (absent when every command deletes)
///
/// Refused: framing errors, a flush before any command, ids that are not lowercase hex of the
/// object format's length, both ids zero, a ref name git would refuse, a ref named twice, a
/// NUL after the first command, a signed push (push-cert), anything but a pack after the commands.
package struct GitPushCommands: Equatable {
    package struct Command: Equatable {
        package var oldID: String
        package var newID: String
        package var ref: String

        package enum Kind: String { case create, update, delete }

        package var kind: Kind {
            if oldID.allSatisfy({ $0 == "0" }) { return .create }
            if newID.allSatisfy({ $0 == "0" }) { return .delete }
            return .update
        }
    }

    package var commands: [Command]
    package var capabilities: [String]
    /// Where the pack starts in the body (the body's end when there is none).
    package var packOffset: Int

    package func wants(_ capability: String) -> Bool { capabilities.contains(capability) }

    package static func read(_ body: [UInt8]) throws(PktLineReader.Failure) -> GitPushCommands {
        var reader = PktLineReader(body)
        var commands: [Command] = []
        var capabilities: [String] = []
        var idLength = 40
        var seen: Set<String> = []
        loop: while true {
            switch try reader.next() {
            case .flush:
                guard !commands.isEmpty else { throw fail("a flush packet before any ref update command") }
                break loop
            case .data(let payload):
                var line = Array(payload)
                if line.last == 0x0A { line.removeLast() }
                if commands.isEmpty, line.starts(with: Array("shallow ".utf8)) {
                    guard isHex(line.dropFirst(8), length: 40) || isHex(line.dropFirst(8), length: 64) else {
                        throw fail("a shallow line without an object id")
                    }
                    continue
                }
                if commands.isEmpty, line.starts(with: Array("push-cert".utf8)) {
                    throw fail("signed pushes (push-cert) are not inspected")
                }
                if let nul = line.firstIndex(of: 0) {
                    guard commands.isEmpty else { throw fail("a NUL in a ref update command after the first") }
                    let text = line[(nul + 1)...]
                    guard let words = String(validating: text, as: UTF8.self) else { throw fail("capabilities that are not UTF-8") }
                    capabilities = words.split(separator: " ").map(String.init)
                    for capability in capabilities where capability.hasPrefix("object-format=") {
                        switch capability.dropFirst("object-format=".count) {
                        case "sha1": idLength = 40
                        case "sha256": idLength = 64
                        default: throw fail("an unknown object format (\(capability))")
                        }
                    }
                    line = Array(line[..<nul])
                }
                let parsed = try command(line, idLength: idLength)
                guard seen.insert(parsed.ref).inserted else { throw fail("the ref \(parsed.ref) is named twice") }
                commands.append(parsed)
            }
        }
        if capabilities.contains("push-options") {
            options: while true {
                switch try reader.next() {
                case .flush: break options
                case .data: continue
                }
            }
        }
        let rest = reader.rest
        let hasPack = rest.starts(with: Array("PACK".utf8))
        guard rest.isEmpty || hasPack else { throw fail("data after the ref update commands that is not a pack") }
        if !hasPack, commands.contains(where: { $0.kind != .delete }) {
            throw fail("a push that creates or updates a ref without a pack")
        }
        return GitPushCommands(commands: commands, capabilities: capabilities, packOffset: reader.offset)
    }

    static func command(_ line: [UInt8], idLength: Int) throws(PktLineReader.Failure) -> Command {
        let length = idLength * 2 + 2
        guard line.count > length, line[idLength] == 0x20, line[idLength * 2 + 1] == 0x20 else {
            throw fail("a ref update command that is not 'old-id new-id ref'")
        }
        let old = line[0..<idLength], new = line[(idLength + 1)..<(idLength * 2 + 1)]
        guard isHex(old, length: idLength), isHex(new, length: idLength) else {
            throw fail("a ref update command whose ids are not \(idLength) lowercase hex digits")
        }
        let oldID = String(decoding: old, as: UTF8.self), newID = String(decoding: new, as: UTF8.self)
        guard let ref = String(validating: line[length...], as: UTF8.self) else { throw fail("a ref name that is not UTF-8") }
        if let problem = refNameProblem(ref) { throw fail("the ref name \(shown(ref)) \(problem)") }
        let zero = String(repeating: "0", count: idLength)
        guard oldID != zero || newID != zero else { throw fail("a ref update command whose ids are both zero") }
        return Command(oldID: oldID, newID: newID, ref: ref)
    }

    /// git's `check_refname_format` for a full ref name (what receive-pack refuses as well).
    package static func refNameProblem(_ ref: String) -> String? {
        guard ref.hasPrefix("refs/") else { return "is not under refs/" }
        for scalar in ref.unicodeScalars {
            if scalar.value < 0x21 || scalar.value == 0x7F || "~^:?*[\\".unicodeScalars.contains(scalar) {
                return "has a space, a control character or one of ~ ^ : ? * [ \\"
            }
        }
        if ref.contains("..") || ref.contains("@{") || ref.contains("//") { return "has '..', '@{' or '//'" }
        if ref.hasSuffix("/") || ref.hasSuffix(".") { return "ends with '/' or '.'" }
        for component in ref.split(separator: "/", omittingEmptySubsequences: false) {
            if component.hasPrefix(".") || component.hasSuffix(".lock") { return "has a component starting with '.' or ending with '.lock'" }
        }
        return nil
    }

    static func isHex(_ bytes: ArraySlice<UInt8>, length: Int) -> Bool {
        bytes.count == length && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func fail(_ message: String) -> PktLineReader.Failure { PktLineReader.Failure(message: message) }

    /// A ref name in a message: printable, bounded.
    static func shown(_ text: String) -> String {
        "'" + String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 })) + "'"
    }
}
