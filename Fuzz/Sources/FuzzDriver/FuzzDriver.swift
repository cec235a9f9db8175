// What every libFuzzer target shares. SwiftPM links an executable's entry point as
// `<Target>_main`; each target's `@_cdecl` main passes its input callback to `runLibFuzzer`,
// which hands control to libFuzzer's driver (linked in by -sanitize=fuzzer).

/// One fuzz input: bytes and length; returns 0 (libFuzzer's convention).
public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzInput) -> CInt

public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ input: FuzzInput) -> CInt {
    var count = argc, vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, input)
}
