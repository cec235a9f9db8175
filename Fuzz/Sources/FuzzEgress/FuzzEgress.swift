// libFuzzer target: the egress proxy's parsers. The first byte picks what the rest goes to:
//   0: the HTTP request head parser (CONNECT and absolute-URI requests)
//   1: the TLS ClientHello parser (SNI on transparent listeners)
//   2: the DNS query parser
//   3: a running proxy's HTTP/SOCKS5 port (loopback, allows nothing): bytes sent, write side
//      closed, answer read to the end
//   4: the same proxy's transparent listener
// See Fuzz/README.md.
#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
@testable import InterlockEgress

/// A proxy that allows nothing, listening on loopback, started once per process.
final class LiveProxy: Sendable {
    let httpPort: UInt16
    let transparentPort: UInt16
    let proxy: EgressProxy

    init?() {
        func listener() -> (Int32, UInt16)? {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound, listen(fd, 128) == 0 else { close(fd); return nil }
            return (fd, UInt16(bigEndian: address.sin_port))
        }
        guard let http = listener(), let transparent = listener(),
              let rules = try? EgressRules(egress: []),
              let proxy = try? EgressProxy(rules: rules, audit: { _ in }) else { return nil }
        do {
            try proxy.start(httpListener: http.0, transparentListeners: [(fd: transparent.0, port: 443)], dnsSocket: nil,
                            syntheticAddress: "127.100.0.0/16")
        } catch { return nil }
        self.httpPort = http.1
        self.transparentPort = transparent.1
        self.proxy = proxy
    }

    func exchange(_ bytes: UnsafeRawBufferPointer, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return }
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n <= 0 { break }
            offset += n
        }
        _ = shutdown(fd, Int32(SHUT_WR))
        var sink = [UInt8](repeating: 0, count: 4096)
        while sink.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
    }
}

nonisolated(unsafe) var live: LiveProxy? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEgress(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 5 {
    case 0: _ = HTTPRequestHead.parse(rest[...])
    case 1: _ = ClientHello.parse(rest[...])
    case 2: _ = DNSMessage.parse(rest)
    default:
        if live == nil { live = LiveProxy() }
        guard let live else { return 0 }
        rest.withUnsafeBytes { live.exchange($0, port: data[0] % 5 == 3 ? live.httpPort : live.transparentPort) }
    }
    return 0
}

@_cdecl("FuzzEgress_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzEgress($0, $1) }
}
