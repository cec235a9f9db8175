import CZlib

/// Undoes a request body's `Content-Encoding`, as the server will before it reads the body: the
/// rules and the found-token check read what the server reads, not the compressed bytes.
package enum ContentCoding {
    package struct Failure: Error { package var message: String }

    /// The body as the server reads it; nil when it is sent as is. Every `Content-Encoding`
    /// header counts, in order (`gzip, deflate` was gzipped, then deflated).
    package static func decode(_ request: InspectedRequest, limit: Int) throws(Failure) -> [UInt8]? {
        let codings = request.headers.filter { $0.name == "content-encoding" }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingSpaces.lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        guard !codings.isEmpty, !request.body.isEmpty else { return nil }
        var body = request.body
        for coding in codings.reversed() {
            switch coding {
            case "gzip", "x-gzip": body = try inflate(body, format: .gzip, limit: limit)
            case "deflate":
                // RFC 9110 says zlib format; some clients send raw deflate and servers accept both.
                do { body = try inflate(body, format: .zlib, limit: limit) } catch { body = try inflate(body, format: .raw, limit: limit) }
            default:
                throw Failure(message: "its body is in a Content-Encoding Interlock does not read (\(String(coding.prefix(40))))")
            }
        }
        return body
    }

    enum Format {
        case gzip, zlib, raw
        var windowBits: Int32 {
            switch self { case .gzip: 15 + 16; case .zlib: 15; case .raw: -15 }
        }
    }

    /// The whole stream inflated, gzip members one after another (as gzip readers do); nothing
    /// may follow the stream, and the output may not exceed `limit`.
    static func inflate(_ input: [UInt8], format: Format, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(message: "zlib could not be set up")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var problem: String?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while problem == nil {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                guard output.count + produced <= limit else { problem = "its decompressed body is larger than Interlock inspects"; break }
                output += chunk[..<produced]
                if status == Z_STREAM_END {
                    guard stream.avail_in > 0 else { break }
                    guard format == .gzip, inflateReset(&stream) == Z_OK else { problem = "data follows its compressed body"; break }
                    continue
                }
                guard status == Z_OK || (status == Z_BUF_ERROR && produced > 0) else {
                    problem = "its body is not valid \(format == .gzip ? "gzip" : "deflate") data"
                    break
                }
            }
        }
        if let problem { throw Failure(message: problem) }
        return output
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
