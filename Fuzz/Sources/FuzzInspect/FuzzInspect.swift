// libFuzzer target: the inspection reader's "one reading or none" property (issue 23).
//   first byte 0–1: the input is a JSON body. RequestJSON.read must agree with the reference
//     decoder below: it reads exactly the texts the reference reads without ambiguity, to the
//     same value, and refuses every text in which the reference finds a key twice, a lone
//     surrogate, invalid UTF-8 or NUL in a key. GraphQL extraction must refuse what it refuses.
//   2: the input is a Content-Encoding'd body: inflating never exceeds the limit.
//   3: a GitHub token, written in a way chosen by the input (percent-encoding, JSON escapes,
//     cookie escapes, HTTP Basic) in a place chosen by it: the found-token check finds it.
// See Fuzz/README.md.
import FuzzDriver
@testable import InterlockInspectReaders
import InterlockJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInspect(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0, 1: checkJSON(input)
    case 2: checkInflate(input)
    default: checkToken(input)
    }
    return 0
}

func checkJSON(_ input: [UInt8]) {
    var reference = ReferenceJSON(bytes: input)
    let expected = reference.document()
    let actual = Result { () throws(RequestJSON.ParseError) in try RequestJSON.read(input) }
    switch (expected, actual) {
    case (.some(let value), .success(let node)):
        guard !reference.ambiguous else { fatalError("read a text with two readings: \(reference.why ?? "")") }
        guard value == node else { fatalError("read to another value than the reference") }
    case (.some, .failure(let error)):
        guard reference.ambiguous, error.ambiguous else { fatalError("refused a text the reference reads one way: \(error.message)") }
    case (nil, .success):
        fatalError("read a text the reference refuses")
    case (nil, .failure):
        break
    }
    let request = InspectedRequest(host: "fuzz.test", method: "POST", target: "/graphql", headers: [("content-type", "application/json")], body: input)
    if case .success = GraphQLExtraction.operations(in: request), reference.ambiguous || expected == nil {
        fatalError("GraphQL read from a body with no one reading")
    }
}

func checkInflate(_ input: [UInt8]) {
    for format in [ContentCoding.Format.gzip, .zlib, .raw] {
        if let out = try? ContentCoding.inflate(input, format: format, limit: 4096), out.count > 4096 { fatalError("inflated past the limit") }
    }
}

func checkToken(_ input: [UInt8]) {
    let token = "ghp_" + "Zq8Lm3Xv7Rt1Nb5Kc9Wd2Fg6Hj0Pa4Se2Uy8"
    var choices = input.makeIterator()
    func next() -> UInt8 { choices.next() ?? 0 }
    // Two encodings at most in one value (0 none, 1 percent, 2 JSON, 3 cookie octal), each
    // character in one of them: as a server decodes, in two layers.
    let encodings = [next() % 4, next() % 4]
    var text = ""
    for c in token.unicodeScalars {
        switch encodings[Int(next() % 2)] {
        case 0: text.unicodeScalars.append(c)
        case 1: text += "%" + String(c.value, radix: 16)
        case 2: text += "\\u00" + String(c.value, radix: 16)
        default:
            let octal = String(c.value, radix: 8)
            text += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
        }
    }
    if encodings.allSatisfy({ $0 < 2 }), next() % 2 == 0 { text = text.utf8.map { "%" + String($0, radix: 16) }.joined() }
    var request = InspectedRequest(host: "fuzz.test", method: "POST", target: "/", headers: [], body: [])
    switch next() % 4 {
    case 0: request.headers = [("x-api-key", text)]
    case 1: request.headers = [("cookie", "t=\"" + text + "\"")]
    case 2: request.body = Array(("{\"t\": \"" + text + "\"}").utf8)
    default:
        let plain = token.utf8.map { "%" + String($0, radix: 16) }.joined()
        request.target = "/x?t=" + plain
    }
    if next() % 3 == 0 {
        let credentials = Array(("u:" + token).utf8)
        request.headers.append(("authorization", "Basic " + base64(credentials)))
    }
    guard FoundTokens(hiddenValues: []).find(in: request) != nil else { fatalError("token not found in \(request)") }
}

func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    for i in stride(from: 0, to: bytes.count, by: 3) {
        let chunk = bytes[i..<min(i + 3, bytes.count)]
        let n = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
        for k in 0..<4 { out.append(k <= chunk.count ? alphabet[n >> (18 - 6 * k) & 63] : "=") }
    }
    return out
}

@_cdecl("FuzzInspect_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzInspect($0, $1) }
}
