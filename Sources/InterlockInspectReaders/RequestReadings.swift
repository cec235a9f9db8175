/// The ways servers read a request's method and path. A rule on method or path matches when
/// any reading matches: a server that decodes `%65`, resolves `/../`, merges `//`, drops a
/// trailing `/` or `;param`, or honours a method-override header must not get past it.
enum RequestReadings {
    /// Headers some frameworks take as the real method of a POST.
    static let overrideHeaders = ["x-http-method-override", "x-http-method", "x-method-override"]

    /// The method as sent and every override a server might honour, upper-cased.
    static func methods(of request: InspectedRequest) -> Set<String> {
        var methods: Set<String> = [request.method.uppercased()]
        for (name, value) in request.headers where overrideHeaders.contains(name) {
            methods.insert(value[...].trimmingSpaces.uppercased())
        }
        for (name, value) in RequestRules.parameters(of: request) where name == "_method" {
            methods.insert(value.uppercased())
        }
        return methods
    }

    /// The path as sent, percent-decoded, and both normalised (see `normalised`), plus the
    /// lower-cased normal form for servers that route without regard to case.
    static func paths(of request: InspectedRequest) -> Set<String> {
        let raw = request.path
        let decoded = FormEncoding.decode(raw[...], plusIsSpace: false)
        var paths: Set<String> = [raw, decoded, normalised(raw), normalised(decoded)]
        paths.insert(normalised(decoded).lowercased())
        return paths
    }

    /// Backslashes as slashes, empty and `.` segments dropped, `..` resolved, `;params` cut.
    static func normalised(_ path: String) -> String {
        var segments: [Substring] = []
        for raw in path.replacing("\\", with: "/").split(separator: "/") {
            let segment = raw.prefix { $0 != ";" }
            switch segment {
            case "", ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }
}
