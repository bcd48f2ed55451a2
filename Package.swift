// swift-tools-version: 6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

/// The classic ZeroMQ demos, one executable each under `Examples/`.
let demos = [
    "echo-server", "echo-client",
    "soccer-publisher", "soccer-subscriber",
    "pipeline-ventilator", "pipeline-worker", "pipeline-sink",
    "zmq-device", "zmq-keygen",
    "async-echo-server",
    "lazy-pirate-client", "lazy-pirate-server",
    "suicidal-snail-publisher", "suicidal-snail-subscriber",
]

/// Packages a demo uses beyond the ZeroMQ library, ExampleSupport and ArgumentParser.
///
/// `async-echo-server` runs as a swift-service-lifecycle service, the way a Swift server
/// wires SIGTERM and SIGINT to a graceful shutdown. Only that executable depends on it: the
/// ZeroMQ library keeps depending on libzmq alone, so a package that uses the library
/// compiles and links none of these.
let demoDependencies: [String: [Target.Dependency]] = [
    "async-echo-server": [
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
    ],
]

let package = Package(
    name: "ZeroMQ",
    products: [
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        // zmqcat: send and receive ZeroMQ messages from the shell, with any socket type.
        .executable(name: "zmqcat", targets: ["zmqcat"]),
    ] + demos.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        // Used by the demo executables only; the ZeroMQ library depends on libzmq alone.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Used by async-echo-server only (see `demoDependencies`), never by the library.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
    ],
    targets: [
        // libzmq's C API. The header lives in /usr/include and the module map links `zmq`,
        // so no pkg-config lookup is needed (Debian's libzmq.pc adds a prohibited -isystem flag).
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CZeroMQ"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ExampleSupport",
            dependencies: [
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "zmqcat",
            dependencies: [
                "ZeroMQ", "ExampleSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Starts the child processes the tests talk to (demos, zmqcat, pyzmq and C peers)
        // without Foundation's Process, whose descriptors leak into concurrently started
        // children (see Tests/ChildProcesses/ChildProcess.swift).
        .target(
            name: "ChildProcesses",
            path: "Tests/ChildProcesses",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ", "CZeroMQ", "ChildProcesses"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExamplesTests",
            dependencies: ["ZeroMQ", "ChildProcesses"],
            swiftSettings: strictSettings
        ),
    ] + demos.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "ZeroMQ", "ExampleSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + demoDependencies[name, default: []],
            path: "Examples/\(name)",
            swiftSettings: strictSettings
        )
    },
    swiftLanguageModes: [.v6]
)
