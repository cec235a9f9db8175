/// A request of git's HTTP protocols, named by its path: the repository and what it does.
///
///     /REPO/info/refs?service=git-upload-pack | git-receive-pack   (ref advertisement)
///     /REPO/git-upload-pack                                      (fetch, clone)
///     /REPO/git-receive-pack                                     (push)
///     /REPO/info/refs, /REPO/objects/…                           (the dumb protocol: fetch)
package struct GitEndpoint: Equatable {
    package enum Service: String { case fetch, push, pushAdvertisement }

    /// Without the leading `/` and a trailing `.git`, lowercased (hosts name repositories
    /// without regard to case).
    package var repository: String
    package var service: Service

    package struct Ambiguous: Error, Equatable {
        package var message: String
    }

    /// nil: not a git request. A request whose path reads differently once percent-decoded or
    /// normalised, or whose `service` parameter is given twice, and that reads as a git request in
    /// any of these readings, is ambiguous: the rules would decide on another repository or
    /// service than the server serves.
    package static func of(_ request: InspectedRequest) throws(Ambiguous) -> GitEndpoint? {
        let services = request.query.map { FormEncoding.fields($0).filter { $0.0 == "service" }.map { $0.1 } } ?? []
        let readings = RequestReadings.paths(of: request)
        let parsed = readings.compactMap { parse($0, service: services.first) }
        guard let endpoint = parse(request.path, service: services.first) ?? parsed.first else { return nil }
        guard services.count < 2 else { throw Ambiguous(message: "duplicate \"service\" parameter") }
        guard parsed.allSatisfy({ $0 == endpoint }), parse(request.path, service: services.first) != nil,
              RequestReadings.normalised(FormEncoding.decode(request.path[...], plusIsSpace: false)) == request.path else {
            throw Ambiguous(message: "its path reads as another repository once decoded or normalised")
        }
        return endpoint
    }

    static func parse(_ path: String, service: String?) -> GitEndpoint? {
        func repository(_ prefix: Substring) -> String? {
            var name = prefix.drop { $0 == "/" }
            if name.hasSuffix(".git") { name = name.dropLast(4) }
            return name.isEmpty ? nil : name.lowercased()
        }
        for (suffix, kind) in [("/git-receive-pack", Service.push), ("/git-upload-pack", .fetch)] where path.hasSuffix(suffix) {
            return repository(path.dropLast(suffix.count)).map { GitEndpoint(repository: $0, service: kind) }
        }
        if path.hasSuffix("/info/refs") {
            let kind: Service = service == "git-receive-pack" ? .pushAdvertisement : .fetch
            return repository(path.dropLast("/info/refs".count)).map { GitEndpoint(repository: $0, service: kind) }
        }
        if let range = path.firstRange(of: "/objects/"), isDumbObjectPath(path[range.upperBound...]) {
            return repository(path[..<range.lowerBound]).map { GitEndpoint(repository: $0, service: .fetch) }
        }
        return nil
    }

    /// What the dumb protocol fetches under `objects/`: `info/…`, `pack/pack-ID.pack|idx`, or a
    /// loose object `XX/ID…` (so that a web page whose path merely contains `/objects/` is not one).
    static func isDumbObjectPath(_ rest: Substring) -> Bool {
        func hex(_ text: Substring) -> Bool { !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }
        if rest.hasPrefix("info/") { return !rest.dropFirst(5).contains("/") }
        if rest.hasPrefix("pack/pack-") {
            let name = rest.dropFirst("pack/pack-".count)
            return (name.hasSuffix(".pack") || name.hasSuffix(".idx")) && hex(name.prefix { $0 != "." })
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0].count == 2 && hex(parts[0]) && hex(parts[1])
    }
}
