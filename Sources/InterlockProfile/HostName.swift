/// Host names in profiles and requests.
public enum HostName {
    /// Lowercased, one trailing dot removed, if `text` is a DNS name of letter/digit/`-`/`_`
    /// labels (1–63 bytes each, 253 in all) whose last label is not all digits (so that
    /// `127.1` or `10.0.0` is never taken for a name). Nil otherwise.
    public static func normalize(_ text: String) -> String? {
        switch check(text) {
        case .success(let name): return name
        case .failure: return nil
        }
    }

    public static func check(_ text: String) -> Result<String, NetworkEntryProblem> {
        var name = Substring(text)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty else { return .failure(NetworkEntryProblem("the host name is empty")) }
        guard name.utf8.count <= 253 else { return .failure(NetworkEntryProblem("host names are at most 253 characters")) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return .failure(NetworkEntryProblem("empty label in host name")) }
            guard label.utf8.count <= 63 else { return .failure(NetworkEntryProblem("a host name label is at most 63 characters")) }
            for byte in label.utf8 {
                let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == 0x2D || byte == 0x5F
                guard ok else {
                    return .failure(NetworkEntryProblem(byte >= 0x80
                        ? "host names must be ASCII (write internationalised names in their xn-- form)"
                        : "host names contain only letters, digits, '-' and '_'"))
                }
            }
        }
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .failure(NetworkEntryProblem("this looks like an IP address; write IPv4 addresses as four decimal numbers, such as 10.0.0.1"))
        }
        return .success(name.lowercased())
    }
}
