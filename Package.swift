// swift-tools-version:6.0
import PackageDescription

// Layers point down only: keyward → Server → Resolver → Providers → Storage → Crypto → Core, and
// Server → HTTP → Crypto; C shims at the bottom.
let package = Package(
    name: "Keyward",
    products: [
        .executable(name: "keyward", targets: ["keyward"]),
        .executable(name: "keyward-microbench", targets: ["keyward-microbench"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "KeywardCore"),
        .target(name: "KeywardCrypto", dependencies: ["COpenSSL"]),
        .target(name: "KeywardStorage", dependencies: ["KeywardCore", "KeywardCrypto", "CSQLite", "CPostgres"]),
        .target(name: "KeywardHTTP", dependencies: ["KeywardCore", "KeywardCrypto", "CMicroHTTPD"]),
        // One folder per secrets manager (AWS/, later Builtin/ and Vault/) behind one provider protocol.
        .target(name: "KeywardProviders", dependencies: ["KeywardCore", "KeywardCrypto", "KeywardStorage"]),
        // The only path to a secret value: cache, single-flight, stale-if-error, in front of the providers.
        .target(name: "KeywardResolver", dependencies: ["KeywardCore", "KeywardStorage", "KeywardProviders"]),
        // Each connection type's test against the real system (PostgreSQL through libpq, HTTP through URLSession).
        .target(name: "KeywardConnectors", dependencies: ["KeywardCore", "KeywardStorage"]),
        .target(name: "KeywardServer", dependencies: ["KeywardCore", "KeywardCrypto", "KeywardStorage", "KeywardHTTP", "KeywardProviders",
                                                      "KeywardResolver", "KeywardConnectors"]),
        .executableTarget(name: "keyward", dependencies: ["KeywardCore", "KeywardStorage", "KeywardHTTP", "KeywardProviders", "KeywardConnectors",
                                                          "KeywardServer"]),

        // make bench: the in-process cost of a cache hit (bench/run.sh measures the HTTP side).
        .executableTarget(name: "keyward-microbench", dependencies: ["KeywardCore", "KeywardProviders", "KeywardResolver", "KeywardStorage"], path: "bench/Microbench"),

        .testTarget(name: "KeywardCoreTests", dependencies: ["KeywardCore"]),
        .testTarget(name: "KeywardCryptoTests", dependencies: ["KeywardCrypto"]),
        // Opens empty stores on either engine for the test targets; not shipped.
        .target(name: "KeywardTestSupport", dependencies: ["KeywardStorage", "KeywardProviders", "KeywardCore"], path: "Tests/KeywardTestSupport"),
        .testTarget(name: "KeywardStorageTests", dependencies: ["KeywardStorage", "KeywardCore", "KeywardCrypto", "KeywardTestSupport"]),
        .testTarget(name: "KeywardHTTPTests", dependencies: ["KeywardHTTP", "KeywardCore"]),
        .testTarget(name: "KeywardConnectorsTests", dependencies: ["KeywardConnectors"]),
        .testTarget(name: "KeywardProvidersTests", dependencies: ["KeywardProviders", "KeywardStorage", "KeywardCore", "KeywardTestSupport"]),
        .testTarget(name: "KeywardResolverTests", dependencies: ["KeywardResolver", "KeywardProviders", "KeywardStorage", "KeywardCore", "KeywardTestSupport"]),
        .testTarget(name: "KeywardServerTests", dependencies: ["KeywardServer", "KeywardStorage", "KeywardHTTP", "KeywardConnectors", "KeywardCore",
                                                         "KeywardTestSupport"]),
        .testTarget(name: "KeywardEndToEndTests", dependencies: ["KeywardCore", "KeywardTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
