// Secrets on the echo demos' command lines: a usage error never prints one back, and a secret
// that begins with a dash (a Z85 key may) is still taken as the option's value.

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

/// A fresh key pair whose secret key and public key both begin with '-', found by drawing
/// (about one pair in 7,000; each draw takes microseconds).
private func dashKeyPair() throws -> CurveKeyPair {
    while true {
        let pair = try CurveKeyPair.generate()
        if pair.secretKey.revealedZ85.hasPrefix("-") && pair.publicKey.z85.hasPrefix("-") { return pair }
    }
}
