import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// Regression tests for the security review of the authenticator and the certificate files:
// each test names a way in (or a leak, or a hang) that the review found, and fails on the code
// from before its fix.

@Suite("Security review", .enabled(if: ZeroMQLibrary.has(.curve), "libzmq was built without CURVE"))
struct SecurityReviewTests {
    // MARK: - Address ranges

    /// An IPv6 range that takes in the IPv4-mapped block (`::ffff:0:0/96`) covers the IPv4
    /// peers in it, whether libzmq reports them as `::ffff:a.b.c.d` (a socket with `ipv6` on)
    /// or as `a.b.c.d`. Before the fix, `--deny-ip ::/0` let every IPv4 peer through.
    @Test func anIPv6RangeThatTakesInTheMappedBlockCoversIPv4Peers() throws {
        for text in ["::/0", "::/80", "::fffe:0:0/95", "::/1"] {
            let range = try IPAddressRange(text)
            #expect(range.contains("::ffff:10.1.2.3"), "\(text)")
            #expect(range.contains("10.1.2.3"), "\(text)")
            #expect(range.contains("::1") == text.hasPrefix("::/"), "\(text)")
        }
        // Ranges that miss the mapped block still miss IPv4 peers.
        for text in ["fd00::/8", "::/96", "::ffff:0:0:0/96", "8000::/1"] {
            let range = try IPAddressRange(text)
            #expect(!range.contains("::ffff:10.1.2.3") && !range.contains("10.1.2.3"), "\(text)")
        }
        // And a narrower IPv4 block, written either way, is exact at its edges.
        let block = try IPAddressRange("::ffff:10.0.0.0/104")
        #expect(block.contains("10.255.255.255") && !block.contains("11.0.0.0") && !block.contains("::ffff:9.255.255.255"))
    }

    /// The same, end to end through the handler: a deny rule of `::/0` refuses an IPv4 peer
    /// seen as IPv4-mapped IPv6.
    @Test func aDenyRuleForEveryIPv6AddressRefusesAMappedIPv4Peer() throws {
        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        try authenticator.setPolicy(.addresses(denying: [try IPAddressRange("::/0")]))
        let replies = try ask(context, [
            zapRequest(address: "::ffff:127.0.0.1"),
            zapRequest(address: "127.0.0.1"),
            zapRequest(address: "::1"),
        ])
        #expect(replies.map(\.status) == ["400", "400", "400"])
    }

    /// libzmq reports an empty address when it could not read the peer's; a deny list must
    /// not wave such a peer through, while a policy without address rules still admits it.
    @Test func aPeerWithoutAnAddressIsRefusedByAPolicyWithAddressRules() throws {
        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        try authenticator.setPolicy(.addresses(denying: [try IPAddressRange("10.6.6.6")]), forDomain: "deny")
        try authenticator.setPolicy(.addresses(), forDomain: "open")
        let replies = try ask(context, [
            zapRequest(domain: "deny", address: ""),
            zapRequest(domain: "deny", address: "127.0.0.1"),
            zapRequest(domain: "open", address: ""),
        ])
        #expect(replies.map(\.status) == ["400", "200", "200"])
    }

    // MARK: - Handler robustness

    /// Requests with far too many frames, empty frames everywhere, and large frames are
    /// answered (never with 200) and the handler lives on.
    @Test func oversizedAndOverlongRequestsAreRefusedAndTheHandlerGoesOn() throws {
        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        try authenticator.setPolicy(AuthenticationPolicy(curveClients: .any, plainCredentials: ["a": "b"]))
        let key = try CurveKeyPair.generate().publicKey
        let huge = [UInt8](repeating: 0x41, count: 1 << 20)
        let replies = try ask(context, [
            // 200 frames of PLAIN credentials.
            zapRequest(address: "127.0.0.1", mechanism: "PLAIN") + Array(repeating: Array("a".utf8), count: 200),
            // A 1 MiB username and password.
            zapRequest(address: "127.0.0.1", mechanism: "PLAIN") + [huge, huge],
            // A CURVE key and a second frame after it.
            zapRequest(address: "127.0.0.1", mechanism: "CURVE") + [key.bytes, []],
            // A 1 MiB domain and address.
            [[], Array("1.0".utf8), Array("1".utf8), huge, huge, [], Array("NULL".utf8)],
            // A well-formed request last: still answered.
            zapRequest(address: "127.0.0.1", mechanism: "PLAIN", credentials: ["a", "b"]),
        ])
        // (A long username is well-formed: it is only unknown.)
        #expect(replies.map(\.status) == ["500", "400", "500", "400", "200"])
        #expect(authenticator.isRunning)
    }

    // MARK: - Certificate files

    /// A secret file owned by another user (who can read or replace it) is refused, even
    /// with mode 0600, and even through a symbolic link; a public file may belong to anyone.
    /// Only root can give a file away, so the test runs as root only.
    @Test(.enabled(if: geteuid() == 0, "needs root to chown a file to another user"))
    func aSecretFileOwnedByAnotherUserIsRefused() throws {
        let folder = try ReviewFolder()
        let certificate = try CurveCertificate.generate()
        let files = try certificate.save(inDirectory: folder.path, name: "server")
        let secretFile = try #require(files.secretFile)
        let nobody: uid_t = 65534
        #expect(chown(secretFile, nobody, gid_t(nobody)) == 0)
        #expect(chown(files.publicFile, nobody, gid_t(nobody)) == 0)
        let link = folder.path + "/link.key_secret"
        #expect(symlink(secretFile, link) == 0)

        for path in [secretFile, link] {
            #expect(throws: CertificateError(.untrustedOwner(userID: UInt32(nobody)), path: path)) {
                try CurveCertificate(contentsOf: path)
            }
        }
        let error = try #require(throws: CertificateError.self) { try CurveCertificate(contentsOf: secretFile) }
        #expect(error.description.contains("65534") && !revealsPart(of: certificate.secretKey!.revealedZ85, in: error.description))
        // Asked for explicitly, it loads; a public file owned by anyone loads.
        #expect(try CurveCertificate(contentsOf: secretFile, allowingInsecurePermissions: true).keyPair == certificate.keyPair)
        #expect(try CurveCertificate(contentsOf: files.publicFile).publicKey == certificate.publicKey)
        // A file of our own, or of root's, loads.
        #expect(chown(secretFile, geteuid(), getegid()) == 0)
        #expect(try CurveCertificate(contentsOf: link).keyPair == certificate.keyPair)
    }

    /// Saving over a symbolic link planted at the target replaces the link, never writes
    /// through it: the file it pointed to is untouched, and the secret file is a new regular
    /// file of mode 0600.
    @Test func savingOverAPlantedSymbolicLinkNeverWritesThroughIt() throws {
        let folder = try ReviewFolder()
        let victim = folder.path + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        chmod(victim, 0o644)
        for name in ["server.key", "server.key_secret"] {
            #expect(symlink(victim, folder.path + "/" + name) == 0)
        }
        let files = try CurveCertificate.generate().save(inDirectory: folder.path, name: "server")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        var info = stat()
        #expect(lstat(try #require(files.secretFile), &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o777 == 0o600)
        #expect(lstat(files.publicFile, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(stat(victim, &info) == 0 && info.st_mode & 0o777 == 0o644)
    }

    /// A name that pyzmq's `load_certificate` reads as a key (any line beginning with
    /// `public-key` or `secret-key`) is refused anywhere but the one key in `curve`, so that
    /// no file means one key here and another in pyzmq.
    @Test(arguments: [
        ("curve\n    public-key = \"\(ReviewKeys.a)\"\nmetadata\n    public-key-old = \"\(ReviewKeys.b)\"\n", "public-key-old", 4),
        ("curve\n    public-key = \"\(ReviewKeys.a)\"\n        public-key = \"\(ReviewKeys.b)\"\n", "public-key", 3),
        ("curve\n    public-key = \"\(ReviewKeys.a)\"\n    public-key2 = \"\(ReviewKeys.b)\"\n", "public-key2", 3),
        ("metadata\n    secret-key = \"x\"\ncurve\n    public-key = \"\(ReviewKeys.a)\"\n", "secret-key", 2),
    ])
    func aNameThatPyzmqReadsAsAKeyIsRefusedOutsideItsPlace(_ text: String, _ name: String, _ line: Int) throws {
        let error = try #require(throws: CertificateError.self) {
            try CurveCertificate(parsing: text, path: "client.key")
        }
        #expect(error.kind == .misplacedKey(name: name))
        #expect(error.line == line)
    }

    /// A certificate of the largest size read, made of nothing but metadata, parses in well
    /// under the bound: before the fix each entry was looked up in a list (quadratic), and a
    /// client could stall `setPolicy` and `reloadCertificates` for minutes with one file in
    /// the certificate directory.
    @Test func aFileOfManyMetadataEntriesParsesInLinearTime() throws {
        var text = "metadata\n"
        var count = 0
        while text.utf8.count < CurveCertificate.maximumFileSize - 100 {
            text += "    m\(count) = \"\"\n"
            count += 1
        }
        text += "curve\n    public-key = \"\(ReviewKeys.a)\"\n"
        let clock = ContinuousClock()
        let start = clock.now
        let certificate = try CurveCertificate(parsing: text, path: "many.key")
        let elapsed = clock.now - start
        #expect(certificate.metadata.count == count)
        #expect(certificate.metadata[count - 1].name == "m\(count - 1)")
        #expect(elapsed < .seconds(15), "\(count) metadata entries took \(elapsed)")
    }

    /// Files at the size limit built to stress the parser: nesting as deep as the size
    /// allows, one huge line, a million line breaks (CR, LF and CRLF mixed) before the key.
    /// Each gives a certificate or an error with a sensible line, quickly, never a crash.
    @Test func extremeFilesParseOrFailCleanly() throws {
        let limit = CurveCertificate.maximumFileSize
        var deep = "metadata\n"
        var level = 1
        while deep.utf8.count + 4 * level + 8 < limit - 100 {
            deep += String(repeating: " ", count: 4 * level) + "n\(level)\n"
            level += 1
        }
        deep += "curve\n    public-key = \"\(ReviewKeys.a)\"\n"
        let nested = try CurveCertificate(parsing: deep, path: "deep.key")
        #expect(nested.publicKey.z85 == ReviewKeys.a && nested.metadata.count == 1)

        let hugeLine = "curve\n    public-key = \"" + String(repeating: "A", count: limit - 40) + "\"\n"
        let huge = try #require(throws: CertificateError.self) { try CurveCertificate(parsing: hugeLine, path: "huge.key") }
        #expect(huge.line == 2)

        let breaks = String(repeating: "\r\n\n\r", count: limit / 4 - 20) + "x = \u{1}"
        let late = try #require(throws: CertificateError.self) { try CurveCertificate(parsing: breaks, path: "late.key") }
        #expect(late.line == 3 * (limit / 4 - 20) + 1)
    }

    /// Metadata built from pairs keeps the documented rule (the last value, at the first
    /// position) in linear time.
    @Test func metadataFromManyPairsKeepsTheLastValueAtTheFirstPosition() {
        let pairs = (0..<50_000).map { ("n\($0)", "v\($0)") } + [("n0", "last")]
        let clock = ContinuousClock()
        let start = clock.now
        let metadata = CurveCertificate.Metadata(pairs)
        let elapsed = clock.now - start
        #expect(metadata.count == 50_000)
        #expect(metadata[0] == ("n0", "last") as (String, String))
        #expect(metadata["n49999"] == "v49999")
        #expect(elapsed < .seconds(15))
    }
}

/// Two valid public keys in Z85.
enum ReviewKeys {
    static let a = try! CurveKeyPair.generate().publicKey.z85
    static let b = try! CurveKeyPair.generate().publicKey.z85
}

/// A fresh folder, removed with its contents when the value goes away.
private final class ReviewFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/security-review-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A ZAP reply's status code and user id.
private struct ReviewReply {
    var status: String
    var userID: String
}

/// Sends each request to the context's ZAP handler from a DEALER socket and collects the
/// replies (status and user id); a reply that does not come within the test timeout ends it.
private func ask(_ context: Context, _ requests: [[[UInt8]]]) throws -> [ReviewReply] {
    let requester = try makeSocket(SocketType.Dealer.self, context: context)
    try requester.connect(to: Authenticator.endpoint)
    var replies: [ReviewReply] = []
    for request in requests {
        _ = try requester.send(multipart: request)
        guard let reply = try requester.receiveMultipart() else { break }
        #expect(reply.count == 7 && reply[1] == Array("1.0".utf8) && reply[6].isEmpty)
        guard reply.count == 7 else { break }
        replies.append(ReviewReply(status: String(decoding: reply[3], as: UTF8.self), userID: String(decoding: reply[5], as: UTF8.self)))
    }
    return replies
}
