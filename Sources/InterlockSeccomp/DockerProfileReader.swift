#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockProfile
import InterlockSystem

/// JSON → `DockerSeccompProfile`, with errors that name the member (`syscalls[3].args[0].op`).
struct DockerProfileReader {
    func fail(_ key: String, _ message: String) -> SeccompError {
        SeccompError(message: key.isEmpty ? message : "\(key): \(message)")
    }

    func expected(_ what: String, _ key: String, _ value: JSONValue) -> SeccompError {
        fail(key, "expected \(what), found \(value.typeName)")
    }

    func profile(_ document: JSONValue) throws(SeccompError) -> DockerSeccompProfile {
        guard case .object = document else { throw expected("an object", "", document) }
        guard let defaultValue = document[last: "defaultAction"] else { throw fail("", "missing member 'defaultAction'") }
        let defaultAction = try string(defaultValue, "defaultAction")
        let defaultErrno = try document[last: "defaultErrnoRet"].flatMap { v throws(SeccompError) in try errno(v, "defaultErrnoRet") }
        var architectures = try document[last: "architectures"].map { v throws(SeccompError) in try strings(v, "architectures") } ?? []
        if let archMap = document[last: "archMap"], archMap != .null {
            guard case .array(let items) = archMap else { throw expected("an array", "archMap", archMap) }
            for (i, item) in items.enumerated() {
                let key = "archMap[\(i)]"
                guard case .object = item else { throw expected("an object", key, item) }
                if let arch = item[last: "architecture"] { architectures.append(try string(arch, key + ".architecture")) }
                if let sub = item[last: "subArchitectures"] { architectures += try strings(sub, key + ".subArchitectures") }
            }
        }
        var entries: [DockerSeccompProfile.Entry] = []
        if let syscalls = document[last: "syscalls"], syscalls != .null {
            guard case .array(let items) = syscalls else { throw expected("an array", "syscalls", syscalls) }
            for (i, item) in items.enumerated() { entries.append(try entry(item, "syscalls[\(i)]")) }
        }
        // Validate the actions now, so that a bad profile fails whatever the host.
        _ = try DockerSeccompProfile.action(defaultAction, errno: 1, key: "defaultAction")
        for (i, entry) in entries.enumerated() {
            _ = try DockerSeccompProfile.action(entry.action, errno: 1, key: "syscalls[\(i)].action")
            for (j, arg) in entry.args.enumerated() {
                _ = try DockerSeccompProfile.condition(arg, key: "syscalls[\(i)].args[\(j)]")
            }
        }
        return DockerSeccompProfile(defaultAction: defaultAction, defaultErrnoRet: defaultErrno,
                                    architectures: architectures, syscalls: entries)
    }

    func entry(_ value: JSONValue, _ key: String) throws(SeccompError) -> DockerSeccompProfile.Entry {
        guard case .object = value else { throw expected("an object", key, value) }
        var names: [String] = []
        if let list = value[last: "names"], list != .null { names += try strings(list, key + ".names") }
        if let single = value[last: "name"], single != .null { names.append(try string(single, key + ".name")) }
        guard let actionValue = value[last: "action"] else { throw fail(key, "missing member 'action'") }
        let action = try string(actionValue, key + ".action")
        let errnoRet = try value[last: "errnoRet"].flatMap { v throws(SeccompError) in try errno(v, key + ".errnoRet") }
        var args: [DockerSeccompProfile.Arg] = []
        if let list = value[last: "args"], list != .null {
            guard case .array(let items) = list else { throw expected("an array", key + ".args", list) }
            for (i, item) in items.enumerated() {
                let argKey = key + ".args[\(i)]"
                guard case .object = item else { throw expected("an object", argKey, item) }
                guard let index = item[last: "index"] else { throw fail(argKey, "missing member 'index'") }
                guard let op = item[last: "op"] else { throw fail(argKey, "missing member 'op'") }
                let indexNumber = try integer(index, argKey + ".index")
                guard indexNumber <= 5 else { throw fail(argKey + ".index", "must be between 0 and 5, found \(indexNumber)") }
                args.append(DockerSeccompProfile.Arg(
                    index: Int(indexNumber),
                    value: try item[last: "value"].map { v throws(SeccompError) in try integer(v, argKey + ".value") } ?? 0,
                    valueTwo: try item[last: "valueTwo"].map { v throws(SeccompError) in try integer(v, argKey + ".valueTwo") } ?? 0,
                    op: try string(op, argKey + ".op")))
            }
        }
        return DockerSeccompProfile.Entry(names: names, action: action, errnoRet: errnoRet, args: args,
                                          includes: try filter(value[last: "includes"], key + ".includes"),
                                          excludes: try filter(value[last: "excludes"], key + ".excludes"))
    }

    func filter(_ value: JSONValue?, _ key: String) throws(SeccompError) -> DockerSeccompProfile.Filter {
        guard let value, value != .null else { return DockerSeccompProfile.Filter() }
        guard case .object = value else { throw expected("an object", key, value) }
        var minKernel: String?
        if let text = value[last: "minKernel"], text != .null {
            let version = try string(text, key + ".minKernel")
            guard KernelVersion(parsing: version) != nil else {
                throw fail(key + ".minKernel", "invalid kernel version '\(version)'; expected a version such as \"4.8\"")
            }
            minKernel = version
        }
        return DockerSeccompProfile.Filter(
            caps: try value[last: "caps"].map { v throws(SeccompError) in try strings(v, key + ".caps") } ?? [],
            arches: try value[last: "arches"].map { v throws(SeccompError) in try strings(v, key + ".arches") } ?? [],
            minKernel: minKernel)
    }

    func string(_ value: JSONValue, _ key: String) throws(SeccompError) -> String {
        guard case .string(let text) = value else { throw expected("a string", key, value) }
        return text
    }

    func strings(_ value: JSONValue, _ key: String) throws(SeccompError) -> [String] {
        if value == .null { return [] }
        guard case .array(let items) = value else { throw expected("an array of strings", key, value) }
        var result: [String] = []
        for (i, item) in items.enumerated() { result.append(try string(item, key + "[\(i)]")) }
        return result
    }

    func integer(_ value: JSONValue, _ key: String) throws(SeccompError) -> UInt64 {
        guard let number = value.unsignedIntegerValue else {
            if case .number(let text) = value { throw fail(key, "expected an integer between 0 and 18446744073709551615, found \(text)") }
            throw expected("an integer", key, value)
        }
        return number
    }

    func errno(_ value: JSONValue, _ key: String) throws(SeccompError) -> UInt32? {
        if value == .null { return nil }
        let number = try integer(value, key)
        guard number <= 4095 else { throw fail(key, "errno must be between 0 and 4095, found \(number)") }
        return UInt32(number)
    }
}
