// End-to-end tests of echo-server and echo-client with security: CURVE with allowed keys, a
// directory of certificates or any key; PLAIN users; address rules. Each refusal is checked
// on both sides: the client fails at once saying authentication was refused (with the ZAP
// status), the server logs the decision and answers nothing. Secrets never show in any
// output, and conflicting options are usage errors.

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder for one test, removed with everything in it when the value goes away.
private final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/echo-security-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// An echo-server running with some options, ready once it has bound its endpoint.
private func startServer(_ arguments: [String], endpoint: String) async throws -> DemoProcess {
    let server = try DemoProcess("echo-server", ["--bind", endpoint] + arguments)
    try await server.waitForOutput("echo-server: bound to", on: .standardError)
    return server
}

@Suite("Echo demos with security", .timeLimit(.minutes(1)))
struct EchoSecurityTests {
    /// Every secret the tests hand to the demos, to check that none is ever printed.
    static let serverKeys = try! CurveKeyPair.generate()
    static let clientKeys = try! CurveKeyPair.generate()

    @Test("--help describes the security options, and that no --allow admits any valid key")
    func help() async throws {
        let server = try await DemoProcess.run("echo-server", ["--help"])
        #expect(server.exitedCleanly)
        for word in ["--curve-secret-key", "--curve-secret-key-file", "--allow", "--allow-dir",
                     "--allow-ip", "--deny-ip", "--plain-user", "ANY client with a valid key"] {
            #expect(server.standardOutput.contains(word), "echo-server --help does not mention \(word)")
        }
        let client = try await DemoProcess.run("echo-client", ["--help"])
        #expect(client.exitedCleanly)
        for word in ["--curve-server-key", "--curve-server-key-file", "--curve-secret-key",
                     "--curve-secret-key-file", "--plain-user", "authentication"] {
            #expect(client.standardOutput.contains(word), "echo-client --help does not mention \(word)")
        }
    }

    // MARK: CURVE

    @Test("CURVE with --allow: the allowed key gets in, another key is refused at once")
    func curveAllowedKeys() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer([
            "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85,
            "--allow", Self.clientKeys.publicKey.z85, "--count", "2",
        ], endpoint: endpoint)
        #expect(server.standardError.contains("public key \(Self.serverKeys.publicKey.z85)"))

        // A fresh key pair: refused, and the client says so without waiting for its timeout.
        let refused = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--timeout-ms", "10000",
            "--curve-server-key", Self.serverKeys.publicKey.z85,
        ])
        expectRefused(refused)

        let admitted = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--count", "2",
            "--curve-server-key", Self.serverKeys.publicKey.z85,
            "--curve-secret-key", Self.clientKeys.secretKey.revealedZ85,
        ])
        #expect(admitted.exitedCleanly, "stderr: \(admitted.standardError)")
        #expect(admitted.lines == ["Sending msg 0", "Received msg 0", "Sending msg 1", "Received msg 1"])

        let result = try await server.finish()
        #expect(result.exitedCleanly)
        #expect(result.lines == ["Got msg 0", "Got msg 1"])
        #expect(result.standardError.contains("allowed CURVE client \(Self.clientKeys.publicKey.z85) from 127.0.0.1"))
        #expect(result.standardError.contains("): unknown key (ZAP status 400)"))
        expectNoSecrets(in: [admitted, refused, result])
    }

    @Test("CURVE with --allow-dir: clients with a certificate there get in, others are refused")
    func curveCertificateDirectory() async throws {
        let folder = try TemporaryFolder()
        let clients = folder.path + "/clients"
        try FileManager.default.createDirectory(atPath: clients, withIntermediateDirectories: false)
        let server = try CurveCertificate(keyPair: Self.serverKeys).save(inDirectory: folder.path, name: "server")
        let client = try CurveCertificate(keyPair: Self.clientKeys).save(inDirectory: folder.path, name: "client")
        _ = try CurveCertificate(publicKey: Self.clientKeys.publicKey).save(inDirectory: clients, name: "client")
        let secretServerFile = try #require(server.secretFile)
        let secretClientFile = try #require(client.secretFile)

        let endpoint = try Endpoints.fresh()
        let process = try await startServer([
            "--curve-secret-key-file", secretServerFile, "--allow-dir", clients, "--count", "1",
        ], endpoint: endpoint)

        let stranger = try CurveCertificate.generate().save(inDirectory: folder.path, name: "stranger")
        let refused = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--timeout-ms", "10000",
            "--curve-server-key-file", server.publicFile, "--curve-secret-key-file", try #require(stranger.secretFile),
        ])
        expectRefused(refused)

        let admitted = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--count", "1",
            "--curve-server-key-file", server.publicFile, "--curve-secret-key-file", secretClientFile,
        ])
        #expect(admitted.exitedCleanly, "stderr: \(admitted.standardError)")
        #expect(admitted.lines == ["Sending msg 0", "Received msg 0"])

        let result = try await process.finish()
        #expect(result.lines == ["Got msg 0"])
        #expect(result.standardError.contains("admitting clients with a certificate in \(clients)"))
        #expect(result.standardError.contains("): unknown key (ZAP status 400)"))
        expectNoSecrets(in: [admitted, refused, result])
    }

    @Test("CURVE without --allow or --allow-dir admits any client with a valid key pair")
    func curveAnyKey() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(
            ["--curve-secret-key", Self.serverKeys.secretKey.revealedZ85, "--count", "1"], endpoint: endpoint)
        #expect(server.standardError.contains("admitting any client with a valid key pair"))
        let client = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--count", "1", "--curve-server-key", Self.serverKeys.publicKey.z85,
        ])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        #expect(client.standardError.contains("(a fresh key pair)"))
        let result = try await server.finish()
        #expect(result.exitedCleanly && result.lines == ["Got msg 0"])
        expectNoSecrets(in: [client, result])
    }

    @Test("A plaintext client against a CURVE server fails, saying why")
    func plaintextAgainstCurve() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(["--curve-secret-key", Self.serverKeys.secretKey.revealedZ85], endpoint: endpoint)
        let client = try await DemoProcess.run("echo-client", ["--connect", endpoint, "--timeout-ms", "2000"])
        #expect(!client.signaled && client.status == 1)
        #expect(client.lines == ["Sending msg 0"])
        // The server's ERROR names the mismatch, unless the client finds the connection closed first.
        let last = client.errorLines.last ?? ""
        #expect(last == "error: the server refused the handshake: it uses another security mechanism than this client"
            || last.hasPrefix("error: no reply to 'msg 0' within 2000 ms; the handshake failed"), "\(last)")
        let (result, _) = try await server.stop()
        #expect(result.lines.isEmpty)
    }

    // MARK: PLAIN

    @Test("PLAIN: the right password gets in, a wrong one is refused, and no password is printed")
    func plainUsers() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer([
            "--plain-user", "alice:open-sesame-4711", "--plain-user", "bob:hunter2-0815", "--count", "1",
        ], endpoint: endpoint)
        let refused = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--timeout-ms", "10000", "--plain-user", "alice:wrong-guess-9999",
        ])
        expectRefused(refused)
        let admitted = try await DemoProcess.run("echo-client", [
            "--connect", endpoint, "--count", "1", "--plain-user", "alice:open-sesame-4711",
        ])
        #expect(admitted.exitedCleanly, "stderr: \(admitted.standardError)")
        #expect(admitted.lines == ["Sending msg 0", "Received msg 0"])

        let result = try await server.finish()
        #expect(result.exitedCleanly && result.lines == ["Got msg 0"])
        #expect(result.standardError.contains("denied PLAIN user \"alice\" from 127.0.0.1 (domain \"echo\"): wrong password (ZAP status 400)"))
        #expect(result.standardError.contains("allowed PLAIN user \"alice\""))
        for output in [refused, admitted, result] {
            let text = output.standardOutput + output.standardError
            for secret in ["open-sesame-4711", "hunter2-0815", "wrong-guess-9999"] {
                #expect(!text.contains(secret), "a password was printed: \(text)")
            }
        }
    }

    // MARK: Addresses

    @Test("--deny-ip refuses a client by its address")
    func denyAddress() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(["--deny-ip", "127.0.0.1"], endpoint: endpoint)
        let refused = try await DemoProcess.run("echo-client", ["--connect", endpoint, "--timeout-ms", "10000"])
        expectRefused(refused)
        let (result, _) = try await server.stop()
        #expect(result.lines.isEmpty)
        #expect(result.standardError.contains("denied NULL peer from 127.0.0.1 (domain \"echo\"): address denied (ZAP status 400)"))
    }

    @Test("--allow-ip admits only the addresses given, with CURVE too")
    func allowAddress() async throws {
        let endpoint = try Endpoints.fresh()
        let port = try #require(endpoint.split(separator: ":").last)
        let server = try await startServer([
            "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85, "--allow-ip", "127.0.0.2/32", "--count", "1",
        ], endpoint: endpoint)
        let curve = ["--curve-server-key", Self.serverKeys.publicKey.z85]
        let refused = try await DemoProcess.run("echo-client", ["--connect", endpoint, "--timeout-ms", "10000"] + curve)
        expectRefused(refused)
        // libzmq's source-address syntax: connect from 127.0.0.2.
        let admitted = try await DemoProcess.run(
            "echo-client", ["--connect", "tcp://127.0.0.2:0;127.0.0.1:\(port)", "--count", "1"] + curve)
        #expect(admitted.exitedCleanly, "stderr: \(admitted.standardError)")
        let result = try await server.finish()
        #expect(result.lines == ["Got msg 0"])
        #expect(result.standardError.contains("from 127.0.0.1 (domain \"echo\"): address not allowed (ZAP status 400)"))
        #expect(result.standardError.contains("from 127.0.0.2 (domain \"echo\")"))
    }

    // MARK: Bad input

    static let badSecurityOptions: [(String, [String], String)] = [
        ("echo-server", ["--curve-secret-key", serverKeys.secretKey.revealedZ85, "--curve-secret-key-file", "x"],
         "--curve-secret-key and --curve-secret-key-file are mutually exclusive."),
        ("echo-server", ["--curve-secret-key", serverKeys.secretKey.revealedZ85, "--allow", clientKeys.publicKey.z85, "--allow-dir", "x"],
         "--allow and --allow-dir are mutually exclusive."),
        ("echo-server", ["--allow", clientKeys.publicKey.z85],
         "--allow and --allow-dir need a CURVE server: add --curve-secret-key or --curve-secret-key-file."),
        ("echo-server", ["--curve-secret-key-file", "x", "--plain-user", "alice:secret-1234"],
         "--plain-user and the CURVE options are mutually exclusive: a server has one security mechanism."),
        ("echo-server", ["--plain-user", "nocolon-secret-1234"],
         "--plain-user takes <user>:<password>, with a user name before the first colon."),
        ("echo-server", ["--curve-secret-key", "short-secret-1234"], "--curve-secret-key: "),
        ("echo-server", ["--deny-ip", "localhost"], "--allow-ip and --deny-ip take an IP address or CIDR block: "),
        ("echo-client", ["--curve-server-key", serverKeys.publicKey.z85, "--curve-server-key-file", "x"],
         "--curve-server-key and --curve-server-key-file are mutually exclusive."),
        ("echo-client", ["--curve-server-key", serverKeys.publicKey.z85, "--curve-secret-key", clientKeys.secretKey.revealedZ85,
                         "--curve-secret-key-file", "x"],
         "--curve-secret-key and --curve-secret-key-file are mutually exclusive."),
        ("echo-client", ["--curve-secret-key", clientKeys.secretKey.revealedZ85],
         "A CURVE secret key needs the server's public key: add --curve-server-key or --curve-server-key-file."),
        ("echo-client", ["--curve-server-key", serverKeys.publicKey.z85, "--plain-user", "alice:secret-1234"],
         "--plain-user and the CURVE options are mutually exclusive: a client has one security mechanism."),
        ("echo-client", ["--plain-user", ":secret-1234"],
         "--plain-user takes <user>:<password>, with a user name before the first colon."),
    ]

    @Test("Conflicting or malformed security options are usage errors that never echo a secret",
          arguments: badSecurityOptions)
    func badSecurityOption(_ demo: String, _ options: [String], _ message: String) async throws {
        let endpointOption = demo == "echo-server" ? "--bind" : "--connect"
        let result = try await DemoProcess.run(demo, [endpointOption, "tcp://127.0.0.1:1"] + options)
        #expect(!result.signaled)
        #expect(result.status == 64)  // EX_USAGE
        #expect(result.errorLines.first.map { $0.hasPrefix("Error: " + message) } == true, "stderr: \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        let text = result.standardError
        #expect(!text.contains(Self.serverKeys.secretKey.revealedZ85) && !text.contains(Self.clientKeys.secretKey.revealedZ85))
        #expect(!text.contains("secret-1234"), "a secret was echoed: \(text)")
    }

    @Test("A secret key file open to others is refused, naming the file")
    func insecureSecretKeyFile() async throws {
        let folder = try TemporaryFolder()
        let files = try CurveCertificate(keyPair: Self.serverKeys).save(inDirectory: folder.path, name: "server")
        let secretFile = try #require(files.secretFile)
        chmod(secretFile, 0o644)
        let result = try await DemoProcess.run(
            "echo-server", ["--bind", try Endpoints.fresh(), "--curve-secret-key-file", secretFile])
        #expect(!result.signaled && result.status == 1)
        #expect(result.errorLines.count == 1)
        #expect(result.standardError.hasPrefix("error: cannot read the server's secret key: \(secretFile): "))
        #expect(result.standardError.contains("chmod 600"))
        expectNoSecrets(in: [result])
    }

    @Test("A missing certificate directory is reported, with a non-zero status")
    func missingCertificateDirectory() async throws {
        let result = try await DemoProcess.run("echo-server", [
            "--bind", try Endpoints.fresh(), "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85,
            "--allow-dir", "/nonexistent/clients",
        ])
        #expect(!result.signaled && result.status == 1)
        #expect(result.errorLines.count == 1)
        #expect(result.standardError.hasPrefix("error: cannot read the allowed clients' certificates: /nonexistent/clients"))
        expectNoSecrets(in: [result])
    }
}

/// Checks that a client was refused: it sent its first request, got no reply, and failed
/// saying authentication was refused with ZAP status 400.
private func expectRefused(_ result: DemoResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.signaled && result.status == 1, "status \(result.status)", sourceLocation: sourceLocation)
    #expect(result.lines == ["Sending msg 0"], sourceLocation: sourceLocation)
    #expect(result.errorLines.last == "error: authentication refused by the server (ZAP status 400)",
            "stderr: \(result.standardError)", sourceLocation: sourceLocation)
}

/// Checks that no secret key the tests use appears in any output.
private func expectNoSecrets(in results: [DemoResult], sourceLocation: SourceLocation = #_sourceLocation) {
    for result in results {
        let text = result.standardOutput + result.standardError
        for secret in [EchoSecurityTests.serverKeys.secretKey.revealedZ85, EchoSecurityTests.clientKeys.secretKey.revealedZ85] {
            #expect(!text.contains(secret), "a secret key was printed: \(text)", sourceLocation: sourceLocation)
        }
    }
}
