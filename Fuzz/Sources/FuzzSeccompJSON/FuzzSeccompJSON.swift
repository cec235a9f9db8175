// libFuzzer target: the Docker/OCI seccomp JSON importer. See Fuzz/README.md.
import InterlockSeccomp

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSeccompJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? DockerSeccompProfile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links an executable's entry point as `FuzzSeccompJSON_main`: hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzSeccompJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, { fuzzSeccompJSON($0, $1) })
}
