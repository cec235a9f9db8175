import InterlockProfile
import NIOCore

/// An HTTP/1.x request head, parsed from raw bytes. Header lines are kept as received so that a
/// forwarded request keeps them byte for byte.
struct HTTPRequestHead {
    var method: String
    var target: String
    var version: String
    /// Lowercased name, and the whole line as received (without its line ending).
    var headers: [(name: String, value: String, line: ArraySlice<UInt8>)]
    /// Bytes of the head, final empty line included.
    var length: Int

    enum Parse {
        case incomplete
        case invalid(String)
        case complete(HTTPRequestHead)
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// Parses the head at the start of `bytes` (CRLF or bare LF line endings).
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        // Find the empty line that ends the head.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        var end: Int?
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var line = bytes[lineStart..<index]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty {
                    if lines.isEmpty {
                        // Tolerate empty lines before the request line (RFC 9112 2.2).
                        lineStart = index + 1
                        index += 1
                        continue
                    }
                    end = index + 1
                    break
                }
                lines.append(line)
                lineStart = index + 1
            }
            index += 1
        }
        guard let end else {
            // Bail out early on something that is clearly not HTTP.
            if let first = lines.first ?? (bytes.isEmpty ? nil : bytes[bytes.startIndex...]),
               let problem = requestLineProblem(first, complete: !lines.isEmpty) {
                return .invalid(problem)
            }
            return .incomplete
        }
        let requestLine = lines[0]
        if let problem = requestLineProblem(requestLine, complete: true) { return .invalid(problem) }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        var headers: [(name: String, value: String, line: ArraySlice<UInt8>)] = []
        for line in lines.dropFirst() {
            guard let first = line.first, first != 0x20, first != 0x09 else {
                return .invalid("folded header lines are not supported")
            }
            guard let colon = line.firstIndex(of: 0x3A) else { return .invalid("a header line has no ':'") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .invalid("invalid header name") }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            guard !value.contains(where: { $0 == 0x00 || $0 == 0x0D }) else { return .invalid("invalid header value") }
            headers.append((String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self), line))
        }
        return .complete(HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
            version: String(decoding: parts[2], as: UTF8.self), headers: headers, length: end - bytes.startIndex))
    }

    /// Why `line` cannot be (the start of) a request line, or nil.
    static func requestLineProblem(_ line: ArraySlice<UInt8>, complete: Bool) -> String? {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard let method = parts.first, !method.isEmpty || !complete else { return "invalid request line" }
        if !method.allSatisfy(isTokenByte) { return "invalid request line" }
        if parts.count == 1, method.count > 32 { return "invalid request line" }
        guard complete else { return nil }
        guard parts.count == 3, !parts[1].isEmpty else { return "invalid request line" }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return "invalid request target" }
        let version = parts[2]
        guard version.elementsEqual("HTTP/1.1".utf8) || version.elementsEqual("HTTP/1.0".utf8) else {
            return "unsupported HTTP version"
        }
        return nil
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}
