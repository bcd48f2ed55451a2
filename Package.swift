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
    "zmq-device",
]

let package = Package(
    name: "ZeroMQ",
    products: [
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
    ] + demos.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        // Used by the demo executables only; the ZeroMQ library depends on libzmq alone.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ", "CZeroMQ"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExamplesTests",
            dependencies: ["ZeroMQ"],
            swiftSettings: strictSettings
        ),
    ] + demos.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "ZeroMQ", "ExampleSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/\(name)",
            swiftSettings: strictSettings
        )
    },
    swiftLanguageModes: [.v6]
)
