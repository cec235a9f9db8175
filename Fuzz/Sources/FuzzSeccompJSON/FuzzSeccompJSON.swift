// libFuzzer target: the Docker/OCI seccomp JSON importer. See Fuzz/README.md.
import InterlockSeccomp
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSeccompJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? DockerSeccompProfile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_cdecl("FuzzSeccompJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzSeccompJSON($0, $1) }
}
