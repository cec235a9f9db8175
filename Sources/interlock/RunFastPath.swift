/// `interlock run` without swift-argument-parser, for the spellings agents and scripts use every
/// time: the parser builds its command tree by reflection, which costs a few milliseconds of
/// every start (`make bench`, start-up breakdown). Anything else (help, unknown options, no
/// `--`) goes to the full parser, which gives the same result and the usual errors.
enum RunFastPath {
    struct Parsed {
        var options: ProfileOptions
        var verbose = false
        var audit: String? = nil
        var learn = false
        var quiet = false
        var command: [String] = []
    }

    /// `[--profile P] [--env E] [--workspace W] [--agent A] [--audit F] [-v|--verbose] [-q|--quiet] [--learn] -- COMMAND…`
    /// (options also as `--name=value`), or nil.
    static func parse(_ arguments: [String]) -> Parsed? {
        var values: [String: String] = [:]
        var parsed = Parsed(options: ProfileOptions())
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                parsed.command = Array(arguments[(index + 1)...])
                guard !parsed.command.isEmpty else { return nil }
                parsed.options.profile = values["profile"]
                parsed.options.env = values["env"]
                parsed.options.workspace = values["workspace"]
                parsed.options.agent = values["agent"]
                parsed.audit = values["audit"]
                return parsed
            }
            switch argument {
            case "-v", "--verbose": parsed.verbose = true
            case "--learn": parsed.learn = true
            case "-q", "--quiet": parsed.quiet = true
            default:
                guard argument.hasPrefix("--") else { return nil }
                let body = argument.dropFirst(2)
                let name: String, value: String
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    value = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                    index += 1
                    guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                    value = arguments[index]
                }
                guard ["profile", "env", "workspace", "agent", "audit"].contains(name), values[name] == nil, !value.isEmpty else { return nil }
                values[name] = value
            }
            index += 1
        }
        return nil
    }
}
