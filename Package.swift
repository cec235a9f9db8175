// swift-tools-version:6.0
import PackageDescription

// The commit `--version` prints, from INTERLOCK_COMMIT (the Makefile sets it from git). Not from
// Context.gitInformation: SwiftPM caches the evaluated manifest, so a later commit would not show.
// A build without it (plain `swift build`, a tarball) prints the version alone.
let buildCommit = Context.environment["INTERLOCK_COMMIT"] ?? ""

let package = Package(
    name: "Interlock",
    products: [
        .executable(name: "interlock", targets: ["interlock"]),
        // `interlock mcp` execs it: the MCP SDK needs Foundation, which `interlock run` does not load.
        .executable(name: "interlock-mcp", targets: ["interlock-mcp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // TLS inspection of the hosts a profile names (#6): per-run CA, leaf certificates, TLS both ways.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Errno and the file-descriptor vocabulary under InterlockSystem (swift-nio already uses it).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // System libraries, linked for real: libseccomp compiles filters, libcap names capabilities.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        // zlib undoes a request's Content-Encoding (gzip, deflate) before it is inspected.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Everything between clone and execve: C only, async-signal-safe.
        .target(name: "CInterlock"),
        // splice/epoll/eventfd for the egress relay (not exported by Swift's Glibc module).
        .target(name: "CSplice"),
        // The one system-call layer: EINTR retry, the typed error, whole-file I/O.
        .target(name: "InterlockSystem", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // The one JSON value, reader and writer every module uses (no dependencies).
        .target(name: "InterlockJSON"),
        // The build's commit, as a C string: a C define can carry a value, a Swift one cannot.
        .target(name: "CBuildInfo", cSettings: [.define("INTERLOCK_COMMIT", to: "\"\(buildCommit)\"")]),
        .target(name: "InterlockProfile", dependencies: ["CBuildInfo", "InterlockJSON", "InterlockSystem"]),
        .target(name: "InterlockAudit", dependencies: ["InterlockJSON", "InterlockSystem"]),
        .target(name: "InterlockSeccomp", dependencies: ["CSeccomp", "InterlockProfile", "InterlockAudit", "InterlockJSON", "InterlockSystem"]),
        .target(name: "InterlockSecrets", dependencies: ["InterlockProfile", "InterlockSystem"]),
        .target(name: "InterlockEgress", dependencies: [
            "InterlockProfile", "CSplice", "InterlockSystem",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // How a request is read for the rules and the found-token check: no networking, so the
        // fuzz target builds it alone.
        .target(name: "InterlockInspectReaders", dependencies: ["InterlockProfile", "InterlockSecrets", "InterlockJSON", "CZlib"]),
        .target(name: "InterlockInspect", dependencies: [
            "InterlockProfile", "InterlockEgress", "InterlockSecrets", "InterlockInspectReaders", "InterlockSystem",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "InterlockSandbox", dependencies: [
            "CInterlock", "CCap", "InterlockProfile", "InterlockSeccomp", "InterlockAudit", "InterlockEgress", "InterlockSecrets",
            "InterlockInspect", "InterlockInspectReaders", "InterlockJSON", "InterlockSystem",
        ]),
        .executableTarget(name: "interlock", dependencies: [
            "InterlockProfile", "InterlockSandbox", "InterlockSeccomp", "InterlockAudit", "InterlockSecrets", "InterlockInspect",
            "InterlockJSON", "InterlockSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "interlock-mcp", dependencies: ["InterlockProfile", "InterlockSystem", .product(name: "MCP", package: "swift-sdk")]),
        .testTarget(name: "InterlockSystemTests", dependencies: [
            "InterlockSystem", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .testTarget(name: "InterlockJSONTests", dependencies: ["InterlockJSON"]),
        .testTarget(name: "InterlockProfileTests", dependencies: ["InterlockProfile"]),
        .testTarget(name: "InterlockAuditTests", dependencies: ["InterlockAudit", "InterlockJSON"]),
        .testTarget(name: "InterlockSeccompTests", dependencies: ["InterlockSeccomp", "InterlockProfile"]),
        .testTarget(name: "InterlockSecretsTests", dependencies: ["InterlockSecrets", "InterlockProfile", "InterlockSystem"]),
        .testTarget(name: "InterlockInspectTests", dependencies: ["InterlockInspect", "InterlockInspectReaders", "InterlockProfile", "InterlockJSON"]),
        .testTarget(name: "InterlockEgressTests", dependencies: [
            "InterlockEgress", "InterlockProfile",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/README.md): declared only when INTERLOCK_FUZZ is set, so ordinary
// builds never see them; `make fuzz` builds them with -sanitize=fuzzer into .build-fuzz.
if Context.environment["INTERLOCK_FUZZ"] != nil {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/Sources/FuzzDriver"),
        .executableTarget(name: "FuzzProfile", dependencies: ["FuzzDriver", "InterlockProfile"], path: "Fuzz/Sources/FuzzProfile"),
        .executableTarget(name: "FuzzSeccompJSON", dependencies: ["FuzzDriver", "InterlockSeccomp", "InterlockJSON"], path: "Fuzz/Sources/FuzzSeccompJSON"),
        .executableTarget(name: "FuzzAuditReader", dependencies: ["FuzzDriver", "InterlockAudit", "InterlockJSON"], path: "Fuzz/Sources/FuzzAuditReader"),
        .executableTarget(name: "FuzzEgress", dependencies: ["FuzzDriver", "InterlockEgress"], path: "Fuzz/Sources/FuzzEgress"),
        .executableTarget(name: "FuzzInspect", dependencies: ["FuzzDriver", "InterlockInspectReaders", "InterlockJSON"], path: "Fuzz/Sources/FuzzInspect"),
    ]
}
