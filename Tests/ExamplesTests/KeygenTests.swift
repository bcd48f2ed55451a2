// End-to-end tests of zmq-keygen: the printed key pair, the certificate files it writes
// (loaded back with CurveCertificate, the secret one with mode 0600), and its refusals.

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder for one test, removed with everything in it when the value goes away.
private final class KeygenFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/zmq-keygen-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

@Suite("zmq-keygen", .timeLimit(.minutes(1)))
struct KeygenTests {
    @Test("--help describes both options and the output")
    func help() async throws {
        let result = try await DemoProcess.run("zmq-keygen", ["--help"])
        #expect(result.exitedCleanly)
        #expect(result.standardOutput.contains("USAGE: zmq-keygen"))
        for word in ["--output-dir", "--name", "public: <z85>", "secret: <z85>", "0600"] {
            #expect(result.standardOutput.contains(word), "--help does not mention \(word)")
        }
        #expect(result.standardError.isEmpty)
    }

    @Test("Without options it prints a fresh key pair that belongs together, and nothing else")
    func printsKeyPair() async throws {
        let result = try await DemoProcess.run("zmq-keygen", [])
        #expect(result.exitedCleanly)
        #expect(result.standardError.isEmpty, "stderr: \(result.standardError)")
        try #require(result.lines.count == 2, "stdout: \(result.standardOutput)")
        #expect(result.lines[0].hasPrefix("public: "))
        #expect(result.lines[1].hasPrefix("secret: "))
        let publicKey = try CurvePublicKey(z85: String(result.lines[0].dropFirst("public: ".count)))
        let secretKey = try CurveSecretKey(z85: String(result.lines[1].dropFirst("secret: ".count)))
        #expect(try secretKey.publicKey == publicKey)

        // Each run makes a new pair.
        let again = try await DemoProcess.run("zmq-keygen", [])
        #expect(again.lines.first != result.lines.first)
    }

    @Test("With --output-dir and --name it writes the two certificate files and prints their paths")
    func writesCertificateFiles() async throws {
        let folder = try KeygenFolder()
        let result = try await DemoProcess.run("zmq-keygen", ["--output-dir", folder.path, "--name", "server"])
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardError.isEmpty, "stderr: \(result.standardError)")
        let publicFile = folder.path + "/server.key"
        let secretFile = folder.path + "/server.key_secret"
        #expect(result.lines == [publicFile, secretFile])
        #expect(try folder.names() == ["server.key", "server.key_secret"])

        var info = stat()
        #expect(stat(secretFile, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600)
        #expect(stat(publicFile, &info) == 0)
        #expect(info.st_mode & 0o022 == 0)

        let secret = try CurveCertificate(contentsOf: secretFile)
        let published = try CurveCertificate(contentsOf: publicFile)
        #expect(secret.secretKey != nil)
        #expect(published.secretKey == nil)
        #expect(published.publicKey == secret.publicKey)
        #expect(try CurveCertificate.publicKeys(inDirectory: folder.path) == [secret.publicKey])
    }

    @Test("It never replaces an existing certificate file")
    func refusesToReplace() async throws {
        let folder = try KeygenFolder()
        let first = try await DemoProcess.run("zmq-keygen", ["--output-dir", folder.path + "/", "--name", "node"])
        #expect(first.exitedCleanly, "stderr: \(first.standardError)")
        let before = try CurveCertificate(contentsOf: folder.path + "/node.key_secret")

        let second = try await DemoProcess.run("zmq-keygen", ["--output-dir", folder.path + "/", "--name", "node"])
        #expect(!second.exitedCleanly)
        #expect(second.status == 1)
        #expect(second.standardOutput.isEmpty)
        #expect(second.errorLines == [
            "error: \(folder.path)/node.key already exists; remove it first, or choose another --name",
        ])
        #expect(try CurveCertificate(contentsOf: folder.path + "/node.key_secret") == before)
    }

    @Test("An output folder that does not exist: status 1 and a one-line reason naming the file")
    func badOutputFolder() async throws {
        let folder = try KeygenFolder()
        let missing = folder.path + "/missing"
        let result = try await DemoProcess.run("zmq-keygen", ["--output-dir", missing, "--name", "x"])
        #expect(!result.signaled)
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.errorLines == [
            "error: \(missing)/x.key_secret: cannot create the file: No such file or directory (errno 2)",
        ])
        // A file where the folder should be.
        #expect(FileManager.default.createFile(atPath: missing, contents: Data("x".utf8)))
        let notFolder = try await DemoProcess.run("zmq-keygen", ["--output-dir", missing, "--name", "x"])
        #expect(notFolder.status == 1)
        #expect(notFolder.errorLines.count == 1)
        #expect(notFolder.errorLines.first?.hasPrefix("error: \(missing)/x.key_secret: cannot create the file: Not a directory") == true,
                "stderr: \(notFolder.standardError)")
    }

    @Test("--output-dir and --name go together; a bad name is refused", arguments: [
        (["--output-dir", "/tmp"], "Error: --output-dir needs --name, such as --name server."),
        (["--name", "server"], "Error: --name needs --output-dir, the folder to write the files in."),
        (["--output-dir", "/tmp", "--name", "a/b"], "Error: --name must be a plain file name, without '/'."),
        (["--output-dir", "/tmp", "--name", ""], "Error: --name must be a plain file name, without '/'."),
    ])
    func optionsGoTogether(arguments: [String], message: String) async throws {
        let result = try await DemoProcess.run("zmq-keygen", arguments)
        #expect(result.status == 64)  // EX_USAGE, ArgumentParser's status for a validation error
        #expect(result.standardOutput.isEmpty)
        #expect(result.errorLines.first == message, "stderr: \(result.standardError)")
    }
}
