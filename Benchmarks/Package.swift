// swift-tools-version: 6.1
import PackageDescription

// The Swift side of the latency/throughput harness. Each tool takes the same arguments and
// prints the same lines as libzmq's perf tools (and the C versions in c/), so a Swift end can
// be paired with a C end. Build with `swift build -c release --package-path Benchmarks`.

let tools = ["local_lat", "remote_lat", "local_thr", "remote_thr", "inproc_lat", "inproc_thr"]
// The same tools written with the async API (`try await` on every send and receive), and
// async_sockets: many PULL sockets, each awaited by its own task.
let asyncTools = tools.map { "async_" + $0 } + ["async_sockets"]

let package = Package(
    name: "ZeroMQBenchmarks",
    dependencies: [
        .package(name: "ZeroMQ", path: ".."),
    ],
    targets: [
        .target(
            name: "PerfSupport",
            dependencies: [.product(name: "ZeroMQ", package: "ZeroMQ")]
        ),
        // Counts malloc calls by interposing malloc/calloc/realloc/free in the executable.
        .target(name: "CMallocCounter", linkerSettings: [.linkedLibrary("zmq")]),
        // The soak test (make soak): 10 M messages PUSH→PULL over tcp between two processes,
        // checked for loss, duplicates and order, with the receiver's resident memory.
        .executableTarget(
            name: "soak",
            dependencies: ["PerfSupport", .product(name: "ZeroMQ", package: "ZeroMQ")]
        ),
        // The program make leakcheck runs under valgrind memcheck: every send and receive path.
        .executableTarget(
            name: "leakcheck",
            dependencies: ["PerfSupport", .product(name: "ZeroMQ", package: "ZeroMQ")]
        ),
        .executableTarget(
            name: "allocations",
            dependencies: ["CMallocCounter", "PerfSupport", .product(name: "ZeroMQ", package: "ZeroMQ")]
        ),
    ] + (tools + asyncTools).map { name in
        .executableTarget(
            name: name,
            dependencies: ["PerfSupport", .product(name: "ZeroMQ", package: "ZeroMQ")]
        )
    },
    swiftLanguageModes: [.v6]
)
