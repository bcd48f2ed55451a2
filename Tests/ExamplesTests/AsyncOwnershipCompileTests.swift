import ChildProcesses
import Foundation
import Testing

// Ownership checked by the compiler: a socket used from async code has one owner at a time.
// Using one socket from two tasks at once must not compile; handing a socket to a task
// (a consume capture, a `sending` parameter) must. These tests compile small programs
// against the ZeroMQ module this test run was built with and check what the compiler says,
// the diagnostics users will see (Swift 6.3.1 wording; the `[#…]` group names are left out).
//
// Region-isolation and noncopyable checks run on SIL, after type checking, so the programs
// are compiled with `-emit-sil` (`-typecheck` alone would accept them all).

/// A small program, whether it must compile, and what the compiler must print.
struct OwnershipProgram: Sendable, CustomTestStringConvertible {
    let name: String
    let source: String
    let compiles: Bool
    /// Diagnostics the compiler must print, each as `severity: message` (positions left out).
    let diagnostics: [String]

    var testDescription: String { name }

    static let all: [OwnershipProgram] = rejected + accepted

    /// Using one socket from two tasks at once, in each way a user might try.
    static let rejected: [OwnershipProgram] = [
        OwnershipProgram(
            name: "two async lets on one socket",
            source: """
                func twoAsyncLets(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    async let first = socket.receiveString()
                    async let second = socket.receiveString()
                    _ = try await (first, second)
                }
                """,
            compiles: false,
            diagnostics: [
                "error: sending 'socket' risks causing data races",
                "note: sending 'socket' into async let risks causing data races between async let uses and local uses",
                "note: access can happen concurrently",
            ]),
        OwnershipProgram(
            name: "two child tasks capturing one socket",
            source: """
                func twoChildTasks(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    try await withThrowingTaskGroup { group in
                        group.addTask { _ = try await socket.receiveString() }
                        group.addTask { _ = try await socket.receiveString() }
                        try await group.waitForAll()
                    }
                }
                """,
            compiles: false,
            diagnostics: [
                "error: passing closure as a 'sending' parameter risks causing data races between code in the current task and concurrent execution of the closure",
                "note: closure captures reference to mutable let 'socket' which is accessible to code in the current task",
            ]),
        OwnershipProgram(
            name: "a Task capturing a borrowed socket",
            source: """
                func taskCapturesBorrowed(_ socket: borrowing PullSocket) async throws {
                    let task = Task { try await socket.receiveString() }
                    _ = try await task.value
                }
                """,
            compiles: false,
            diagnostics: [
                "error: 'socket' cannot be captured by an escaping closure since it is a borrowed parameter",
                "note: closure capturing 'socket' here",
                "error: passing closure as a 'sending' parameter risks causing data races between code in the current task and concurrent execution of the closure",
                "note: closure captures 'socket' which is accessible to code in the current task",
            ]),
        OwnershipProgram(
            name: "a Task and its creator both using a socket",
            source: """
                func taskAndCreator(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    let task = Task { try await socket.receiveString() }
                    _ = try await socket.receiveString()
                    _ = try await task.value
                }
                """,
            compiles: false,
            diagnostics: [
                "error: sending value of non-Sendable type '() async throws -> String?' risks causing data races",
                "note: Passing value of non-Sendable type '() async throws -> String?' as a 'sending' argument to initializer 'init(name:priority:operation:)' risks causing races in between local and caller code",
                "note: access can happen concurrently",
            ]),
        OwnershipProgram(
            name: "a detached Task and its creator both using a socket",
            source: """
                func detachedAndCreator(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    let task = Task.detached { try await socket.receiveString() }
                    _ = try await socket.receiveString()
                    _ = try await task.value
                }
                """,
            compiles: false,
            diagnostics: [
                "error: sending value of non-Sendable type '() async throws -> String?' risks causing data races",
                "note: access can happen concurrently",
            ]),
        OwnershipProgram(
            name: "using a socket after consuming it into a Task",
            source: """
                func useAfterHandOver(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    let task = Task { [socket = consume socket] in try await socket.receiveString() }
                    _ = try await socket.receiveString()
                    _ = try await task.value
                }
                """,
            compiles: false,
            diagnostics: [
                "error: 'socket' used after consume",
                "note: consumed here",
                "note: used here",
            ]),
        OwnershipProgram(
            name: "consuming one socket into two Tasks",
            source: """
                func handOverTwice(context: Context) async throws {
                    let socket = try PullSocket(context: context)
                    let first = Task { [socket = consume socket] in try await socket.receiveString() }
                    let second = Task { [socket = consume socket] in try await socket.receiveString() }
                    _ = try await (first.value, second.value)
                }
                """,
            compiles: false,
            diagnostics: [
                "error: 'socket' consumed more than once",
                "note: consumed here",
                "note: consumed again here",
            ]),
        OwnershipProgram(
            name: "handing a consuming parameter that is not sending to a Task",
            source: """
                func serve(_ socket: consuming PullSocket) -> Task<String?, any Error> {
                    Task { [socket = consume socket] in try await socket.receiveString() }
                }
                """,
            compiles: false,
            diagnostics: [
                "error: passing closure as a 'sending' parameter risks causing data races between code in the current task and concurrent execution of the closure",
                "note: closure captures 'socket' which is accessible to code in the current task",
            ]),
        OwnershipProgram(
            name: "a socket is not Sendable",
            source: """
                func requireSendable<T: Sendable & ~Copyable>(_ value: borrowing T) {}
                func socketIsNotSendable(context: Context) throws {
                    let socket = try PullSocket(context: context)
                    requireSendable(socket)
                }
                """,
            compiles: false,
            diagnostics: [
                "error: type 'Socket<SocketType.Pull>' does not conform to the 'Sendable' protocol",
                "note: generic struct 'Socket' does not conform to the 'Sendable' protocol",
            ]),
        OwnershipProgram(
            name: "a blocking send without await in async code",
            source: """
                func blockingCallInAsyncCode(context: Context) async throws {
                    let socket = try PushSocket(context: context)
                    try socket.send("hello")
                }
                """,
            compiles: false,
            diagnostics: [
                "error: expression is 'async' but is not marked with 'await'",
                "note: call is 'async'",
            ]),
    ]

    /// Handing a socket to a task, so that it has one owner at a time.
    static let accepted: [OwnershipProgram] = [
        OwnershipProgram(
            name: "consuming a socket into a Task",
            source: """
                func handOver(context: Context) async throws -> String? {
                    let socket = try PullSocket(context: context)
                    try socket.bind(to: "inproc://hand-over")
                    let task = Task { [socket = consume socket] in try await socket.receiveString() }
                    return try await task.value
                }
                """,
            compiles: true,
            diagnostics: []),
        OwnershipProgram(
            name: "a consuming sending parameter handed to a Task",
            source: """
                func serve(_ socket: consuming sending PullSocket) -> Task<String?, any Error> {
                    Task { [socket = consume socket] in try await socket.receiveString() }
                }
                func start(context: Context) throws -> Task<String?, any Error> {
                    let socket = try PullSocket(context: context)
                    try socket.bind(to: "inproc://serve")
                    return serve(socket)
                }
                """,
            compiles: true,
            diagnostics: []),
        OwnershipProgram(
            name: "one socket per child task",
            source: """
                func socketPerChild(context: Context) async throws -> Int {
                    try await withThrowingTaskGroup(of: Bool.self) { group in
                        for index in 0..<10 {
                            let socket = try PullSocket(context: context)
                            try socket.bind(to: "inproc://child-\\(index)")
                            group.addTask { [socket = consume socket] in try await socket.receiveString() != nil }
                        }
                        var received = 0
                        for try await got in group where got { received += 1 }
                        return received
                    }
                }
                """,
            compiles: true,
            diagnostics: []),
        OwnershipProgram(
            name: "one task sending and receiving in turn",
            source: """
                func requestReply(context: Context) async throws -> String? {
                    let socket = try RequestSocket(context: context)
                    try socket.connect(to: "inproc://server")
                    try await socket.send("hello")
                    return try await socket.receiveString()
                }
                """,
            compiles: true,
            diagnostics: []),
        OwnershipProgram(
            name: "a non-async Task closure gets the blocking call, with a warning",
            source: """
                func blockingInTask(context: Context) -> Task<Bool, any Error> {
                    Task { () throws -> Bool in
                        let socket = try PushSocket(context: context)
                        return try await socket.send("hello")
                    }
                }
                """,
            compiles: true,
            diagnostics: ["warning: no 'async' operations occur within 'await' expression"]),
    ]
}

/// Where to find the compiler and the modules this test run was built with.
enum OwnershipCompiler {
    /// `swiftc`: `$SWIFTC` if set, else the first on the `PATH`.
    static let compiler: URL? = {
        if let path = ProcessInfo.processInfo.environment["SWIFTC"] { return URL(fileURLWithPath: path) }
        return PeerPrograms.onPath("swiftc")
    }()

    /// The built modules (`ZeroMQ.swiftmodule`), next to the test bundle.
    static let modules = demoBinaryFolder.appendingPathComponent("Modules", isDirectory: true)

    /// The module map of the C module ZeroMQ imports, in the package's sources.
    static let moduleMap = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ExamplesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Sources/CZeroMQ/module.modulemap")

    /// Compiles `program` to SIL (which runs the ownership and concurrency checks).
    ///
    /// - Returns: The compiler's exit status and its diagnostics, one per line, as
    ///   `file:line:column: severity: message`.
    static func compile(_ program: OwnershipProgram) async throws -> (status: Int32, diagnostics: [String]) {
        guard let compiler else { throw DemoTestError("swiftc is not on the PATH (or set SWIFTC)") }
        let module = modules.appendingPathComponent("ZeroMQ.swiftmodule")
        guard FileManager.default.fileExists(atPath: module.path) else {
            throw DemoTestError("\(module.path) is missing; build the package first (swift build)")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("zmq-ownership-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("Program.swift")
        try Data("import ZeroMQ\n\n\(program.source)\n".utf8).write(to: source)
        let run = try DemoProcess(executable: compiler, name: "swiftc", [
            "-emit-sil", "-o", "/dev/null", "-parse-as-library", "-module-name", "OwnershipProgram",
            "-swift-version", "6", "-diagnostic-style", "llvm",
            "-I", modules.path, "-Xcc", "-fmodule-map-file=\(moduleMap.path)",
            source.path,
        ])
        let result = try await run.finish(within: .seconds(120))
        let diagnostics = result.errorLines.filter {
            $0.contains(": error: ") || $0.contains(": warning: ") || $0.contains(": note: ")
        }
        return (result.status, diagnostics)
    }
}

@Suite("Async socket ownership at compile time")
struct AsyncOwnershipCompileTests {
    @Test("What the compiler says about using a socket from tasks",
          .enabled(if: OwnershipCompiler.compiler != nil, "swiftc is not on the PATH"),
          arguments: OwnershipProgram.all)
    func compilerVerdict(_ program: OwnershipProgram) async throws {
        let (status, diagnostics) = try await OwnershipCompiler.compile(program)
        // Messages without positions or group names: `error: 'socket' used after consume`.
        let messages = diagnostics.map { line -> String in
            var message = line
            for severity in ["error: ", "warning: ", "note: "] {
                if let range = line.range(of: ": \(severity)") {
                    message = String(line[line.index(range.lowerBound, offsetBy: 2)...])
                    break
                }
            }
            if let group = message.range(of: " [#") { message = String(message[..<group.lowerBound]) }
            return message
        }
        print("OWNERSHIP \(program.name): exit \(status)\n" + messages.map { "    \($0)" }.joined(separator: "\n"))
        if program.compiles {
            #expect(status == 0, "\(program.name) must compile: \(diagnostics)")
            #expect(messages.filter { $0.hasPrefix("error: ") }.isEmpty)
        } else {
            #expect(status != 0, "\(program.name) must not compile")
        }
        for expected in program.diagnostics {
            #expect(messages.contains(expected), "missing diagnostic '\(expected)'; got \(messages)")
        }
        let unexpected = messages.filter { $0.hasPrefix("warning: ") && !program.diagnostics.contains($0) }
        #expect(unexpected.isEmpty, "unexpected warnings: \(unexpected)")
    }
}
