// libFuzzer target: the profile parser (TOML) and the profile loader's validation.
// Any input may be refused with an error; none may crash or hang. See Fuzz/README.md.
import InterlockProfile

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TOML.parse(bytes: bytes, file: "fuzz.toml")
    try? ProfileLoader.validate(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.toml")
    return 0
}

// SwiftPM links an executable's entry point as `FuzzProfile_main`: hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzProfile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, { fuzzProfile($0, $1) })
}
