// Secrets on the echo demos' command lines: a usage error never prints one back, and a secret
// that begins with a dash (a Z85 key may) is still taken as the option's value.

import Foundation
import Synchronization
import Testing
import ZeroMQ

@Suite("Echo demos keep command-line secrets", .timeLimit(.minutes(1)))
struct EchoSecretArgumentTests {
    /// A password with a space, not quoted, leaves its second word as a stray argument.
    /// ArgumentParser's own error quotes it ("Unexpected argument 'horse-8842'"); the demos
    /// say only where it is.
    @Test("A stray argument (the rest of an unquoted password) is a usage error that does not show it",
          arguments: [
              ("echo-server", ["--bind", "tcp://127.0.0.1:1", "--plain-user", "alice:correct", "horse-8842"]),
              ("echo-client", ["--connect", "tcp://127.0.0.1:1", "--plain-user", "alice:correct", "horse-8842"]),
              ("echo-server", ["--bind", "tcp://127.0.0.1:1", "--plain-user", "alice:correct", "horse-8842", "battery-8842"]),
          ])
    func strayArgument(_ demo: String, _ arguments: [String]) async throws {
        let result = try await DemoProcess.run(demo, arguments)
        #expect(!result.signaled && result.status == 64)  // EX_USAGE
        #expect(result.standardOutput.isEmpty)
        #expect(!result.standardError.contains("8842"), "a secret was echoed: \(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("Error: unexpected argument 5") == true, "stderr: \(result.standardError)")
    }

    @Test("An unknown option is named, but a value glued to it is not shown")
    func unknownOption() async throws {
        let result = try await DemoProcess.run(
            "echo-client", ["--connect", "tcp://127.0.0.1:1", "--plain-usr=alice:hunter-8842"])
        #expect(!result.signaled && result.status == 64)
        #expect(!result.standardError.contains("8842"), "a secret was echoed: \(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("Error: unknown option '--plain-usr'") == true, "stderr: \(result.standardError)")
    }

    /// ArgumentParser splits the command line before it knows which option takes a value,
    /// and refuses some arguments that begin with '-' there ("-=…", "---…"), quoting them whole:
    /// a Z85 key or a password may begin that way. The demos say where, not what.
    @Test("An argument ArgumentParser can't split is refused without being shown", arguments: [
        ("echo-server", ["--bind", "tcp://127.0.0.1:1", "--curve-secret-key", "-=secret-8842"], 4),
        ("echo-server", ["--bind", "tcp://127.0.0.1:1", "--plain-user", "alice:x", "---rest-8842"], 5),
        ("echo-client", ["--connect", "tcp://127.0.0.1:1", "--plain-user", "-=alice:pw-8842"], 4),
        ("echo-client", ["--connect", "tcp://127.0.0.1:1", "--curve-server-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "--curve-secret-key", "---8842"], 6),
    ])
    func unsplittableArgument(_ demo: String, _ arguments: [String], _ position: Int) async throws {
        let result = try await DemoProcess.run(demo, arguments)
        #expect(!result.signaled && result.status == 64)
        #expect(result.standardOutput.isEmpty)
        #expect(!result.standardError.contains("8842"), "a secret was echoed: \(result.standardError)")
        #expect(result.errorLines.first?.hasPrefix("Error: argument \(position) can't be read") == true,
                "stderr: \(result.standardError)")
    }

    /// Given as `--option=value`, any value gets through, "-=" and all.
    @Test("A key that ArgumentParser can't split as the next argument works as --option=value")
    func keyGivenWithAnEqualsSign() async throws {
        // Any 32 bytes are a secret key, and a first group "-=…" stays below 2^32.
        let secret = try CurveSecretKey(z85: "-=" + String(try CurveKeyPair.generate().secretKey.revealedZ85.dropFirst(2)))
        let keys = try CurveKeyPair(secretKey: secret)
        let server = try DemoProcess("echo-server", [
            "--bind", try Endpoints.fresh(), "--count", "1", "--curve-secret-key=" + secret.revealedZ85,
        ])
        try await server.waitForOutput("echo-server: CURVE server with public key \(keys.publicKey.z85)", on: .standardError)
        #expect(!server.standardError.contains(secret.revealedZ85))
    }

    /// One Z85 key in 85 begins with '-'. Given as the option's value, it is the value, not an
    /// option: the server starts with it and the client gets in with it.
    @Test("Keys and passwords that begin with '-' are taken as the options' values")
    func valuesBeginningWithADash() async throws {
        let server = try dashKeyPair()
        let client = try dashKeyPair()
        let endpoint = try Endpoints.fresh()
        let running = try DemoProcess("echo-server", [
            "--bind", endpoint, "--count", "2", "--curve-secret-key", server.secretKey.revealedZ85,
            "--allow", client.publicKey.z85,
        ])
        try await running.waitForOutput("echo-server: bound to", on: .standardError)
        let result = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--count", "1", "--timeout-ms", "5000",
            "--curve-server-key", server.publicKey.z85, "--curve-secret-key", client.secretKey.revealedZ85,
        ])
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.lines == ["Sending msg 0", "Received msg 0"])

        let plain = try DemoProcess("echo-server", ["--bind", try Endpoints.fresh(), "--count", "1", "--plain-user", "-alice:-pw"])
        try await plain.waitForOutput("echo-server: PLAIN server for -alice", on: .standardError)
        _ = (running, plain)
    }
}

/// A refused client says so, whenever the refusal comes: also when its connection is refused
/// before its first request could be queued (then a REQ socket has no connection to send on).
/// Before the fix such a client waited out --timeout-ms and said only "could not send".
/// Many clients at once make that order likely on a loaded machine.
@Suite("echo-client refused before its first send", .timeLimit(.minutes(1)))
struct EchoClientRefusedEarlyTests {
    @Test("Every one of many refused clients says authentication was refused")
    func manyRefusedClients() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let endpoint = try Endpoints.fresh()
        let server = try DemoProcess("echo-server", [
            "--bind", endpoint, "--curve-secret-key", serverKeys.secretKey.revealedZ85,
            "--allow", try CurveKeyPair.generate().publicKey.z85,
        ])
        try await server.waitForOutput("echo-server: bound to", on: .standardError)
        // Busy threads starve the clients' main threads, so that their I/O threads often
        // finish the (refused) handshake before the first send.
        let stop = Atomic<Bool>(false)
        let hogs = (0..<4).map { _ in Thread { while !stop.load(ordering: .relaxed) {} } }
        hogs.forEach { $0.start() }
        defer { stop.store(true, ordering: .relaxed) }
        let results = try await withThrowingTaskGroup(of: DemoResult.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    try await DemoProcess.run("echo-client", [
                        "--connect", endpoint, "--timeout-ms", "20000", "--curve-server-key", serverKeys.publicKey.z85,
                    ])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result.status == 1)
            #expect(result.errorLines.last == "error: authentication refused by the server (ZAP status 400)",
                    "stderr: \(result.standardError)")
        }
        _ = server
    }
}

/// A fresh key pair whose secret key and public key both begin with '-', found by drawing
/// (about one pair in 7,000; each draw takes microseconds). Keys that ArgumentParser can't
/// take as the next argument at all ("-=…", "---…"; see `unsplittableArgument`) are skipped.
private func dashKeyPair() throws -> CurveKeyPair {
    func usable(_ text: String) -> Bool {
        text.hasPrefix("-") && !text.hasPrefix("-=") && !text.hasPrefix("---")
    }
    while true {
        let pair = try CurveKeyPair.generate()
        if usable(pair.secretKey.revealedZ85) && usable(pair.publicKey.z85) { return pair }
    }
}
