// libFuzzer target: the profile parser (TOML) and the profile loader's validation.
// Any input may be refused with an error; none may crash or hang. See Fuzz/README.md.
import InterlockProfile
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TOML.parse(bytes: bytes, file: "fuzz.toml")
    try? ProfileLoader.validate(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.toml")
    return 0
}

@_cdecl("FuzzProfile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzProfile($0, $1) }
}
