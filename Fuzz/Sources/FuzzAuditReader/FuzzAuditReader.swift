// libFuzzer target: the audit log reader, on a file holding the input (one scratch file per
// process, rewritten for each input, read through /proc/self/fd). See Fuzz/README.md.
#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import InterlockAudit

nonisolated(unsafe) let scratch: Int32 = {
    var template = Array("/tmp/interlock-fuzz-audit-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    if fd >= 0 { template.withUnsafeBufferPointer { if let path = $0.baseAddress { _ = unlink(path) } } }
    return fd
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuditReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard scratch >= 0, ftruncate(scratch, 0) == 0 else { return 0 }
    var written = 0
    while written < size {
        let n = pwrite(scratch, data + written, size - written, off_t(written))
        if n <= 0 { return 0 }
        written += n
    }
    if let run = try? AuditRun.load(path: "/proc/self/fd/\(scratch)") {
        _ = (run.start, run.exit, run.exitCode, run.refusalCounts, run.command)
    }
    return 0
}

@_cdecl("FuzzAuditReader_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzAuditReader($0, $1) }
}
