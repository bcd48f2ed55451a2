import Testing
import ZeroMQ

@Suite("CURVE keys")
struct CurveKeyTests {
    /// Every way a value can end up in a log.
    private static func renderings<T>(_ value: T) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [
            "\(value)", String(describing: value), String(reflecting: value), dumped,
            "\(Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" })",
        ]
    }

    @Test("Printing a key pair or a secret key never reveals the secret key")
    func secretKeyIsRedacted() throws {
        let pair = try CurveKeyPair.generate()
        let secret = pair.secretKey.revealedZ85
        for text in Self.renderings(pair) + Self.renderings(pair.secretKey) {
            #expect(!text.contains(secret), "revealed in: \(text)")
            #expect(!text.contains("\(pair.secretKey.revealedBytes)"), "revealed in: \(text)")
        }
        #expect("\(pair.secretKey)" == "CurveSecretKey(redacted)")
        #expect("\(pair)".contains(pair.publicKey.z85))
        // The public key prints as itself.
        #expect("\(pair.publicKey)" == pair.publicKey.z85)
    }

    @Test("The secret key's Z85 text is available through its explicit accessor")
    func revealedZ85RoundTrips() throws {
        let pair = try CurveKeyPair.generate()
        let decoded = try CurveSecretKey(z85: pair.secretKey.revealedZ85)
        #expect(decoded == pair.secretKey)
        #expect(try decoded.publicKey == pair.publicKey)
    }

    @Test("A malformed key's error says what is wrong, and never quotes a secret")
    func malformedKeyErrors() throws {
        let almost = String(try CurveKeyPair.generate().secretKey.revealedZ85.dropLast())
        do {
            _ = try CurveSecretKey(z85: almost)
            Issue.record("a 39-character key was accepted")
        } catch {
            #expect(error == .invalidArgument)
            #expect(error.reason == "a Z85 key is 40 characters, not 39")
            #expect(!error.description.contains(almost))
        }
        do {
            _ = try CurvePublicKey(z85: String(repeating: "~", count: 40))
            Issue.record("a key outside the Z85 alphabet was accepted")
        } catch {
            #expect(error.reason == "character 1 is not in the Z85 alphabet")
        }
        do {
            _ = try CurvePublicKey(bytes: [1, 2, 3])
            Issue.record("a 3-byte key was accepted")
        } catch {
            #expect(error.reason == "a CURVE key is 32 bytes, not 3")
        }
    }

    @Test("An error setting a secret key or password never shows it")
    func secretsStayOutOfOptionErrors() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let pair = try CurveKeyPair.generate()
        context.shutdown()
        // The socket notices the shutdown on its next operation; after that, setting an
        // option fails too.
        #expect(throws: ZMQError.contextTerminated) { _ = try socket.receiveString(.dontWait) }
        do {
            try socket.setOption(.curveSecretKey, pair.secretKey)
            Issue.record("setting an option on a shut-down context succeeded")
        } catch {
            #expect(error == .contextTerminated)
            #expect(error.option == "curveSecretKey")
            #expect(!error.description.contains(pair.secretKey.revealedZ85), "\(error)")
            #expect(error.description.hasPrefix("set curveSecretKey (ZMQ_CURVE_SECRETKEY): "), "\(error)")
        }
        // libzmq refuses a password over 255 bytes; the error still doesn't show it.
        let password = "hunter2-" + String(repeating: "x", count: 300)
        let fresh = try makeSocket(SocketType.Req.self, context: Context())
        do {
            try fresh.setOption(.plainPassword, password)
            Issue.record("a 308-byte password was accepted")
        } catch {
            #expect(error == .invalidArgument)
            #expect(!error.description.contains("hunter2"), "\(error)")
            #expect(error.description.hasPrefix("set plainPassword (ZMQ_PLAIN_PASSWORD): "), "\(error)")
        }
        // A public value is shown.
        do {
            try socket.setOption(.plainUsername, "alice")
            Issue.record("setting an option on a shut-down context succeeded")
        } catch {
            #expect(error.description.contains("'alice'"), "\(error)")
        }
    }
}
