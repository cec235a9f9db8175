import Foundation
import XCTest
@testable import InterlockSeccomp

/// Runs a compiled filter for real: a python3 child installs it (prctl(PR_SET_NO_NEW_PRIVS) and
/// seccomp(SECCOMP_SET_MODE_FILTER) through ctypes), then makes syscalls and reports errnos.
final class FilterHelper {
    struct Outcome {
        var errnos: [Int32]
        var sanity: [String: Any]
    }

    enum Termination: Equatable {
        /// Status, and what it printed.
        case exited(Int32, String)
        case signaled(Int32)
    }

    let directory: URL
    let python: String
    private var counter = 0

    init() throws {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw XCTSkip("python3 is needed to load filters into a real process")
        }
        #if !arch(x86_64)
        throw XCTSkip("the helper uses x86-64 syscall numbers")
        #endif
        self.python = python
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("interlock-seccomp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.script.write(to: directory.appendingPathComponent("helper.py"), atomically: true, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// `nil` program: no filter.
    func write(_ program: SeccompProgram?) throws -> String {
        guard let program else { return "-" }
        counter += 1
        let url = directory.appendingPathComponent("filter\(counter).bpf")
        try Data(program.bytes).write(to: url)
        return url.path
    }

    /// Each probe: syscall number, then up to six arguments.
    func probe(_ program: SeccompProgram?, _ probes: [[UInt64]], userNamespace: Bool = false, sanity: Bool = false,
               file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        var arguments = [try write(program), "probes"]
        if userNamespace { arguments.append("--userns") }
        if sanity { arguments.append("--sanity") }
        let input = try JSONSerialization.data(withJSONObject: probes.map { $0.map { NSNumber(value: $0) } })
        let (termination, output) = try run(arguments, input: input)
        guard case .exited(0, _) = termination else {
            XCTFail("helper: \(termination)", file: file, line: line)
            return Outcome(errnos: [], sanity: [:])
        }
        guard let object = try JSONSerialization.jsonObject(with: output) as? [String: Any],
              let errnos = object["errnos"] as? [NSNumber] else {
            XCTFail("helper printed \(String(decoding: output, as: UTF8.self))", file: file, line: line)
            return Outcome(errnos: [], sanity: [:])
        }
        return Outcome(errnos: errnos.map(\.int32Value), sanity: object["sanity"] as? [String: Any] ?? [:])
    }

    /// `x32` or `int80`.
    func foreign(_ program: SeccompProgram?, _ mode: String) throws -> Termination {
        try run([try write(program), mode], input: Data()).0
    }

    private func run(_ arguments: [String], input: Data) throws -> (Termination, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [directory.appendingPathComponent("helper.py").path] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { return (.signaled(process.terminationStatus), output) }
        return (.exited(process.terminationStatus, String(decoding: output + errors, as: UTF8.self)), output)
    }

    static let script = #"""
# Installs a seccomp filter (raw BPF from a file) in this process, then makes syscalls and
# prints what happened, as JSON. Used by InterlockSeccompTests.
#
#   helper.py FILTER probes [--userns]   reads [[nr, a0, ...], ...] from stdin, prints
#                                        {"errnos": [...], "sanity": {...}} (errno 0: success)
#   helper.py FILTER x32                 syscall getpid | 0x40000000 (x32 ABI)
#   helper.py FILTER int80               32-bit getpid through int 0x80
#   helper.py - MODE                     the same without a filter
import ctypes, json, mmap, os, socket, subprocess, sys, threading

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.syscall.argtypes = [ctypes.c_long] + [ctypes.c_ulong] * 6

class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

def install(path, userns):
    if userns and libc.unshare(0x10000000) != 0:
        sys.exit("unshare(CLONE_NEWUSER): errno %d" % ctypes.get_errno())
    if path == "-":
        return
    code = open(path, "rb").read()
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        sys.exit("prctl: errno %d" % ctypes.get_errno())
    # seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog): 317 on x86-64
    if libc.syscall(317, 1, 0, ctypes.addressof(prog), 0, 0, 0) != 0:
        sys.exit("seccomp: errno %d" % ctypes.get_errno())

def call(nr, args):
    args = (list(args) + [0] * 6)[:6]
    ctypes.set_errno(0)
    r = libc.syscall(nr, *[a & 0xFFFFFFFFFFFFFFFF for a in args])
    if r == -1:
        return ctypes.get_errno()
    if nr in (41,) and r >= 0:  # socket: close what we made
        os.close(r)
    return 0

def sanity():
    out = {}
    try:
        out["read"] = len(open("/proc/self/status").read()) > 0
    except OSError as e:
        out["read"] = "errno %d" % e.errno
    try:
        result = []
        t = threading.Thread(target=lambda: result.append(1))
        t.start(); t.join()
        out["thread"] = result == [1]
    except Exception as e:
        out["thread"] = repr(e)
    try:
        out["subprocess"] = subprocess.run(["/bin/sh", "-c", "exit 7"]).returncode == 7
    except Exception as e:
        out["subprocess"] = repr(e)
    for name, family, kind in [("tcp", socket.AF_INET, socket.SOCK_STREAM), ("udp6", socket.AF_INET6, socket.SOCK_DGRAM),
                               ("unix", socket.AF_UNIX, socket.SOCK_STREAM)]:
        try:
            socket.socket(family, kind).close()
            out[name] = True
        except OSError as e:
            out[name] = "errno %d" % e.errno
    return out

def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "probes":
        probes = json.load(sys.stdin)
        install(path, "--userns" in sys.argv)
        errnos = [call(p[0], p[1:]) for p in probes]
        result = {"errnos": errnos}
        if "--sanity" in sys.argv:
            result["sanity"] = sanity()
        sys.stdout.write(json.dumps(result))
        sys.stdout.flush()
    elif mode == "x32":
        install(path, False)
        r = libc.syscall(39 | 0x40000000, 0, 0, 0, 0, 0, 0)
        print("returned %d errno %d" % (r, ctypes.get_errno()))
    elif mode == "int80":
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3]))  # mov eax, 20 (getpid); int 0x80; ret
        function = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
        install(path, False)
        print("returned %d pid %d" % (function(), os.getpid()))

main()
"""#
}
