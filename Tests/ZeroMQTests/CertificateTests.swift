import Foundation
import Testing
@testable import ZeroMQ

// CURVE certificate files: the format czmq's zcert and pyzmq's zmq.auth write, loading and
// saving, permissions, every malformed-file error with its line, and secrets kept out of
// descriptions and errors. The pyzmq interoperability tests are in their own suite at the
// end, which is skipped when pyzmq is missing.

/// A fresh folder for one test, removed with everything in it when the value goes away.
final class ScratchFolder {
    let path: String

    init() throws {
        path = "\(TestEnvironment.temporaryFolder)/certs-\(TestEnvironment.uniqueNumber())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of a file in the folder.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes a file with the given permissions.
    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        try write(name, bytes: Array(text.utf8), mode: mode)
    }

    /// Writes a file's bytes with the given permissions.
    @discardableResult
    func write(_ name: String, bytes: [UInt8], mode: mode_t = 0o600) throws -> String {
        let path = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return path
    }

    /// The names in the folder, sorted.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// A file's permission bits.
func permissions(of path: String) -> mode_t {
    var info = stat()
    #expect(stat(path, &info) == 0, "cannot stat \(path)")
    return info.st_mode & 0o7777
}

/// A file's text.
func contents(of path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

/// Fixed key pairs: the "Ironhouse" keys of the ZeroMQ Guide and libzmq's CURVE tests.
enum FixedKeys {
    static let clientPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
    static let clientSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
    static let serverPublic = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    static let serverSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
}

/// The text of a certificate file in the layout czmq and pyzmq write, with the secret key
/// when given.
func certificateText(publicKey: String, secretKey: String? = nil, metadata: [(String, String)] = []) -> String {
    var text = "#   ****  Generated on 2025-01-01 12:00:00 by CZMQ  ****\n#   ZeroMQ CURVE Certificate\n\nmetadata\n"
    for (name, value) in metadata { text += "    \(name) = \"\(value)\"\n" }
    text += "curve\n    public-key = \"\(publicKey)\"\n"
    if let secretKey { text += "    secret-key = \"\(secretKey)\"\n" }
    return text
}

/// Every way a value can end up in a log.
func renderings<T>(_ value: T) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [
        "\(value)", String(describing: value), String(reflecting: value), dumped,
        "\(Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" })",
    ]
}

/// Whether `text` shows any 8 consecutive characters of `secret`.
func revealsPart(of secret: String, in text: String) -> Bool {
    let characters = Array(secret)
    return (0...(characters.count - 8)).contains { text.contains(String(characters[$0..<$0 + 8])) }
}

@Suite("CURVE certificates")
struct CertificateTests {
    /// The error parsing `text` throws, or `nil` (recording an issue) if it parses.
    private func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CertificateError? {
        parseError(bytes: Array(text.utf8), sourceLocation: sourceLocation)
    }

    private func parseError(bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> CertificateError? {
        do {
            let certificate = try CurveCertificate(parsing: bytes, path: "certs/test.key_secret")
            Issue.record("parsed a malformed file: \(certificate)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("The fixed key pairs belong together")
    func fixedKeysAreValid() throws {
        #expect(try CurveSecretKey(z85: FixedKeys.clientSecret).publicKey.z85 == FixedKeys.clientPublic)
        #expect(try CurveSecretKey(z85: FixedKeys.serverSecret).publicKey.z85 == FixedKeys.serverPublic)
    }

    // MARK: Round trips

    @Test("A saved certificate loads back: both keys from the secret file, the public key from the public file")
    func saveAndLoadRoundTrip() throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate(metadata: ["email": "ops@example.com", "host": "db1"])
        let (publicFile, secretFile) = try certificate.save(inDirectory: folder.path, name: "server")
        #expect(publicFile == folder.file("server.key"))
        #expect(secretFile == folder.file("server.key_secret"))
        #expect(try folder.names() == ["server.key", "server.key_secret"])

        let secret = try CurveCertificate(contentsOf: folder.file("server.key_secret"))
        #expect(secret == certificate)
        #expect(secret.keyPair == certificate.keyPair)
        #expect(secret.metadata == ["email": "ops@example.com", "host": "db1"])

        let published = try CurveCertificate(contentsOf: folder.file("server.key"))
        #expect(published == certificate.publicCertificate)
        #expect(published.secretKey == nil)
        #expect(published.keyPair == nil)
        #expect(published.publicKey == certificate.publicKey)
        #expect(published.metadata == certificate.metadata)
    }

    @Test("A public certificate saves only the public file")
    func publicCertificateSavesOneFile() throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate().publicCertificate
        let files = try certificate.save(inDirectory: folder.path + "/", name: "client")
        #expect(files.publicFile == folder.file("client.key"))
        #expect(files.secretFile == nil)
        #expect(try folder.names() == ["client.key"])
        #expect(try CurveCertificate(contentsOf: files.publicFile) == certificate)
    }

    @Test("The files are laid out as czmq's zcert_save and pyzmq's create_certificates write them")
    func fileFormat() throws {
        let folder = try ScratchFolder()
        let pair = try CurveKeyPair(secretKey: CurveSecretKey(z85: FixedKeys.serverSecret))
        let certificate = CurveCertificate(keyPair: pair, metadata: ["name": "Pieter Hintjens", "quote": "say \"hi\""])
        try certificate.save(inDirectory: folder.path, name: "server")

        let publicLines = try contents(of: folder.file("server.key")).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(publicLines.first?.hasPrefix("#   ****  Generated on ") == true)
        #expect(publicLines.first?.hasSuffix(" by ZeroMQ for Swift  ****") == true)
        #expect(Array(publicLines.dropFirst()) == [
            "#   ZeroMQ CURVE Public Certificate",
            "#   Exchange securely, or use a secure mechanism to verify the contents",
            "#   of this file after exchange. Store public certificates in your home",
            "#   directory, in the .curve subdirectory.",
            "",
            "metadata",
            "    name = \"Pieter Hintjens\"",
            "    quote = 'say \"hi\"'",
            "curve",
            "    public-key = \"\(FixedKeys.serverPublic)\"",
            "",
        ])
        let secretLines = try contents(of: folder.file("server.key_secret")).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Array(secretLines.dropFirst()) == [
            "#   ZeroMQ CURVE **Secret** Certificate",
            "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
            "",
            "metadata",
            "    name = \"Pieter Hintjens\"",
            "    quote = 'say \"hi\"'",
            "curve",
            "    public-key = \"\(FixedKeys.serverPublic)\"",
            "    secret-key = \"\(FixedKeys.serverSecret)\"",
            "",
        ])
        // A value with a double quote is written between single quotes, and reads back.
        #expect(try CurveCertificate(contentsOf: folder.file("server.key")).metadata["quote"] == "say \"hi\"")
    }

    @Test("Metadata keeps its order through a save and a load, and behaves as an ordered dictionary")
    func metadataOrder() throws {
        var metadata: CurveCertificate.Metadata = ["zeta": "1", "alpha": "2", "mid": "3"]
        metadata["alpha"] = "two"
        metadata["new"] = "4"
        metadata["zeta"] = nil
        #expect(metadata.names == ["alpha", "mid", "new"])
        #expect(metadata.map(\.value) == ["two", "3", "4"])
        #expect(metadata["missing"] == nil)
        #expect(metadata.count == 3)
        #expect(metadata[0].name == "alpha")
        #expect("\(metadata)" == #"["alpha": "two", "mid": "3", "new": "4"]"#)
        #expect("\(CurveCertificate.Metadata())" == "[:]")
        // Repeated names: the last value, at the first position.
        #expect(CurveCertificate.Metadata([("a", "1"), ("b", "2"), ("a", "3")]).map(\.value) == ["3", "2"])
        // Order matters for equality.
        let ab: CurveCertificate.Metadata = ["a": "1", "b": "2"]
        #expect(ab != ["b": "2", "a": "1"])

        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate(metadata: metadata)
        try certificate.save(inDirectory: folder.path, name: "ordered")
        #expect(try CurveCertificate(contentsOf: folder.file("ordered.key_secret")).metadata.names == ["alpha", "mid", "new"])
    }

    @Test("Saving replaces existing files, and leaves no temporary file behind")
    func saveReplaces() throws {
        let folder = try ScratchFolder()
        try folder.write("node.key", "old public", mode: 0o644)
        try folder.write("node.key_secret", "old secret", mode: 0o644)
        let certificate = try CurveCertificate.generate()
        try certificate.save(inDirectory: folder.path, name: "node")
        #expect(try folder.names() == ["node.key", "node.key_secret"])
        #expect(try CurveCertificate(contentsOf: folder.file("node.key_secret")) == certificate)
        // The replaced secret file was 0644; the new one is 0600.
        #expect(permissions(of: folder.file("node.key_secret")) == 0o600)
    }

    @Test("Explicit paths: writePublicFile(to:) and writeSecretFile(to:)")
    func explicitPaths() throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate(metadata: ["role": "worker"])
        try certificate.writePublicFile(to: folder.file("worker.pub"))
        try certificate.writeSecretFile(to: folder.file("worker.private"))
        #expect(permissions(of: folder.file("worker.private")) == 0o600)
        #expect(try CurveCertificate(contentsOf: folder.file("worker.pub")) == certificate.publicCertificate)
        #expect(try CurveCertificate(contentsOf: folder.file("worker.private")) == certificate)
        #expect(!(try contents(of: folder.file("worker.pub"))).contains("secret-key"))
    }

    @Test("A secret file can't be written for a public certificate")
    func secretFileNeedsSecretKey() throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate().publicCertificate
        #expect(throws: CertificateError(.missingSecretKey, path: folder.file("x.key_secret"))) {
            try certificate.writeSecretFile(to: folder.file("x.key_secret"))
        }
        #expect(try folder.names() == [])
    }

    // MARK: Permissions

    @Test("The secret file is created with mode 0600; the public file is not writable by others")
    func savedPermissions() throws {
        let folder = try ScratchFolder()
        let (publicFile, secretFile) = try CurveCertificate.generate().save(inDirectory: folder.path, name: "perm")
        #expect(permissions(of: try #require(secretFile)) == 0o600)
        let publicMode = permissions(of: publicFile)
        #expect(publicMode & 0o600 == 0o600)
        #expect(publicMode & 0o022 == 0)
        #expect(publicMode & 0o111 == 0)
    }

    @Test("A secret file that group or others can reach is refused, with its mode and the chmod to run",
          arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o601] as [mode_t])
    func insecureSecretFileIsRefused(mode: mode_t) throws {
        let folder = try ScratchFolder()
        let path = try folder.write(
            "open.key_secret", certificateText(publicKey: FixedKeys.clientPublic, secretKey: FixedKeys.clientSecret), mode: mode)
        do {
            let certificate = try CurveCertificate(contentsOf: path)
            Issue.record("loaded a secret file with mode \(String(mode, radix: 8)): \(certificate)")
        } catch {
            #expect(error.kind == .insecurePermissions(mode: UInt32(mode)))
            #expect(error.path == path)
            #expect(error.line == nil)
            let octal = "0" + String(mode, radix: 8)
            #expect(error.description == "\(path): the secret key file can be read or written by group or others (mode \(octal)); run chmod 600 \(path)")
            #expect(!revealsPart(of: FixedKeys.clientSecret, in: error.description))
        }
        // Asked for explicitly, it loads.
        let loaded = try CurveCertificate(contentsOf: path, allowingInsecurePermissions: true)
        #expect(loaded.secretKey == (try CurveSecretKey(z85: FixedKeys.clientSecret)))
        // After the chmod the error suggests, it loads without asking.
        #expect(chmod(path, 0o600) == 0)
        #expect(try CurveCertificate(contentsOf: path).secretKey != nil)
    }

    @Test("Private secret files (0600, 0400) load; a public file may be readable by anyone",
          arguments: [0o600, 0o400, 0o700] as [mode_t])
    func privateSecretFilesLoad(mode: mode_t) throws {
        let folder = try ScratchFolder()
        let secret = try folder.write(
            "ok.key_secret", certificateText(publicKey: FixedKeys.clientPublic, secretKey: FixedKeys.clientSecret), mode: mode)
        #expect(try CurveCertificate(contentsOf: secret).secretKey != nil)
        let published = try folder.write("ok.key", certificateText(publicKey: FixedKeys.clientPublic), mode: 0o644)
        #expect(try CurveCertificate(contentsOf: published).publicKey.z85 == FixedKeys.clientPublic)
    }

    // MARK: Folders of public certificates

    @Test("publicKeys(inDirectory:) reads every *.key file, as pyzmq's load_certificates does")
    func publicKeysInFolder() throws {
        let folder = try ScratchFolder()
        let alice = try CurveCertificate.generate(metadata: ["name": "alice"])
        let bob = try CurveCertificate.generate(metadata: ["name": "bob"])
        let hidden = try CurveCertificate.generate()
        try bob.save(inDirectory: folder.path, name: "bob")        // bob.key and bob.key_secret
        try alice.publicCertificate.save(inDirectory: folder.path, name: "alice")
        try alice.writePublicFile(to: folder.file("alice-copy.key"))   // the same key twice
        try hidden.writePublicFile(to: folder.file(".hidden.key"))
        try folder.write("README", "not a certificate")
        try folder.write("notes.key.txt", "not a certificate")
        try FileManager.default.createDirectory(atPath: folder.file("archive.key"), withIntermediateDirectories: false)

        let keys = try CurveCertificate.publicKeys(inDirectory: folder.path)
        // In file-name order (alice, alice-copy, bob), each key once.
        #expect(keys == [alice.publicKey, bob.publicKey])
    }

    @Test("An empty folder has no keys; a missing folder or a malformed file is an error naming it")
    func publicKeysErrors() throws {
        let folder = try ScratchFolder()
        #expect(try CurveCertificate.publicKeys(inDirectory: folder.path) == [])

        let missing = folder.file("nowhere")
        #expect(throws: CertificateError(.fileSystem(.list, errorNumber: ENOENT), path: missing)) {
            try CurveCertificate.publicKeys(inDirectory: missing)
        }

        try CurveCertificate.generate().writePublicFile(to: folder.file("good.key"))
        let broken = try folder.write("broken.key", "curve\n    public-key = \"short\"\n", mode: 0o644)
        do {
            _ = try CurveCertificate.publicKeys(inDirectory: folder.path)
            Issue.record("a folder with a malformed certificate loaded")
        } catch {
            #expect(error.path == broken)
            #expect(error.line == 2)
            #expect(error.description == "\(broken):2: public-key is not a valid Z85 key (a Z85 key is 40 characters, not 5)")
        }
    }

    // MARK: Malformed files

    /// Malformed files: the text, the error's kind and line.
    static let malformedFiles: [(name: String, text: String, kind: CertificateError.Kind, line: Int?)] = [
        ("an empty file", "", .missingPublicKey, nil),
        ("no curve section", "metadata\n    name = \"x\"\n", .missingPublicKey, nil),
        ("a curve section without a public key", "curve\n    secret-key = \"\(FixedKeys.clientSecret)\"\n", .missingPublicKey, nil),
        ("a public key outside the curve section",
         "metadata\npublic-key = \"\(FixedKeys.clientPublic)\"\n", .misplacedKey(name: "public-key"), 2),
        ("a secret key in the metadata section",
         "metadata\n    secret-key = \"\(FixedKeys.clientSecret)\"\ncurve\n    public-key = \"\(FixedKeys.clientPublic)\"\n",
         .misplacedKey(name: "secret-key"), 2),
        ("a short public key", "curve\n    public-key = \"abc\"\n",
         .invalidKey(name: "public-key", reason: "a Z85 key is 40 characters, not 3"), 2),
        ("an empty public key", "curve\n    public-key = \"\"\n",
         .invalidKey(name: "public-key", reason: "a Z85 key is 40 characters, not 0"), 2),
        ("a secret key with a character outside Z85",
         "#\n\nmetadata\ncurve\n    public-key = \"\(FixedKeys.clientPublic)\"\n    secret-key = \"D:)Q[I~AW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n",
         .invalidKey(name: "secret-key", reason: "character 7 is not in the Z85 alphabet"), 6),
        ("a secret key whose group overflows",
         "curve\n    public-key = \"\(FixedKeys.clientPublic)\"\n    secret-key = \"#####IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n",
         .invalidKey(name: "secret-key", reason: "characters 1-5 encode a value above 2^32 - 1"), 3),
        ("a secret key that belongs to another public key",
         certificateText(publicKey: FixedKeys.serverPublic, secretKey: FixedKeys.clientSecret), .mismatchedKeys, 7),
        ("two public keys",
         "curve\n    public-key = \"\(FixedKeys.clientPublic)\"\n    public-key = \"\(FixedKeys.serverPublic)\"\n",
         .duplicate("public-key", firstLine: 2), 3),
        ("two secret keys",
         "curve\n    public-key = \"\(FixedKeys.clientPublic)\"\n    secret-key = \"\(FixedKeys.clientSecret)\"\n    secret-key = \"\(FixedKeys.clientSecret)\"\n",
         .duplicate("secret-key", firstLine: 3), 4),
        ("two curve sections",
         "curve\n    public-key = \"\(FixedKeys.clientPublic)\"\ncurve\n    public-key = \"\(FixedKeys.serverPublic)\"\n",
         .duplicate("the curve section", firstLine: 1), 3),
        ("two metadata sections", "metadata\nmetadata\n", .duplicate("the metadata section", firstLine: 1), 2),
        ("a metadata name twice",
         "metadata\n    name = a\n    other = b\n    name = c\ncurve\n    public-key = \"\(FixedKeys.clientPublic)\"\n",
         .duplicate("a metadata name", firstLine: 2), 4),
        ("an indentation of 2 spaces", "curve\n  public-key = \"\(FixedKeys.clientPublic)\"\n",
         .syntax("indented by 2 spaces; ZPL indents with 4 spaces per level"), 2),
        ("an indentation of 1 space", "curve\n public-key = \"\(FixedKeys.clientPublic)\"\n",
         .syntax("indented by 1 space; ZPL indents with 4 spaces per level"), 2),
        ("an indentation by a tab", "curve\n\tpublic-key = \"\(FixedKeys.clientPublic)\"\n",
         .syntax("indented with a tab; ZPL indents with 4 spaces per level"), 2),
        ("an indentation two levels deep", "curve\n        public-key = \"\(FixedKeys.clientPublic)\"\n",
         .syntax("indented more than one level (4 spaces) deeper than the line above"), 2),
        ("an indented first property", "# comment\n    curve\n",
         .syntax("indented, but there is no property above it to belong to"), 2),
        ("an unterminated double quote", "curve\n    public-key = \"\(FixedKeys.clientPublic)\n",
         .syntax("the value's opening quote (\") is never closed"), 2),
        ("an unterminated single quote", "metadata\n    name = 'Pieter\ncurve\n",
         .syntax("the value's opening quote (') is never closed"), 2),
        ("text after a quoted value", "curve\n    public-key = \"\(FixedKeys.clientPublic)\" extra\n",
         .syntax("unexpected text after the quoted value, at column 61"), 2),
        ("a property without '='", "curve\n    public-key \"\(FixedKeys.clientPublic)\"\n",
         .syntax("expected '=' after the name, at column 16"), 2),
        ("a line that starts with '='", "curve\n    = \"x\"\n",
         .syntax("expected a name (letters, digits and $-_@.&+/) at column 5"), 2),
        ("a name that ends with '/'", "curve/\n", .syntax("a name cannot begin or end with '/'"), 1),
        ("a NUL byte", "curve\n    public-key = \"abc\u{0}def\"\n", .syntax("control character 0x00 in column 22"), 2),
        ("an escape character", "metadata\n\u{1B}[31m\n", .syntax("control character 0x1B in column 1"), 2),
    ]

    @Test("Every malformed file gives its error on the right line", arguments: malformedFiles.indices)
    func malformedFile(index: Int) throws {
        let (name, text, kind, line) = Self.malformedFiles[index]
        guard let error = parseError(text) else { return }
        #expect(error.kind == kind, "\(name)")
        #expect(error.line == line, "\(name)")
        #expect(error.path == "certs/test.key_secret")
        let location = line.map { "certs/test.key_secret:\($0): " } ?? "certs/test.key_secret: "
        #expect(error.description == location + error.reason, "\(name)")
        #expect(!error.description.contains("\n"))
        for secret in [FixedKeys.clientSecret, FixedKeys.serverSecret] {
            #expect(!revealsPart(of: secret, in: error.description), "\(name): \(error)")
        }
    }

    @Test("The error's one-line description, as a user reads it")
    func errorDescriptions() {
        let text = "#\n\nmetadata\ncurve\n    secret-key = \"D:)Q[I~AW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n    public-key = \"\(FixedKeys.clientPublic)\"\n"
        #expect(parseError(text)?.description
            == "certs/test.key_secret:5: secret-key is not a valid Z85 key (character 7 is not in the Z85 alphabet)")
        #expect(parseError("curve\n")?.description
            == "certs/test.key_secret: no public key: a certificate has public-key = \"…\" in its curve section")
        #expect(parseError(certificateText(publicKey: FixedKeys.serverPublic, secretKey: FixedKeys.clientSecret))?.description
            == "certs/test.key_secret:7: secret-key does not belong to public-key")
    }

    @Test("Bytes that are not UTF-8 are an error, not a crash")
    func invalidUTF8() {
        let header = Array("metadata\n    name = \"".utf8)
        let error = parseError(bytes: header + [0xC3, 0x28] + Array("\"\ncurve\n".utf8))
        #expect(error?.kind == .syntax("the value is not valid UTF-8"))
        #expect(error?.line == 2)
        let nameError = parseError(bytes: [0xFF, 0xFE] + Array(" = x\n".utf8))
        #expect(nameError?.kind == .syntax("expected a name (letters, digits and $-_@.&+/) at column 1"))
    }

    // MARK: What ZPL allows

    @Test("ZPL as others write it: CRLF and CR line endings, a byte order mark, comments, quotes, unquoted values")
    func lenientZPL() throws {
        let text = [
            "# A certificate written by hand",
            "   # an indented comment, at any indentation",
            "\t# and a tab-indented one",
            "",
            "metadata   ",
            "    name = Pieter Hintjens      # unquoted, up to the comment",
            "    single = 'it''s'",
            "    hash = \"#2\"   # a quoted # is not a comment",
            "    empty =",
            "    bare",
            "    deeper",
            "        ignored = \"children of metadata entries are not metadata\"",
            "context",
            "    iothreads = 1",
            "curve # the keys",
            "    public-key = '\(FixedKeys.clientPublic)'   ",
            "    secret-key=\"\(FixedKeys.clientSecret)\"#no space needed",
            "    comment = \"unknown names in curve are ignored\"",
        ]
        for lineEnding in ["\n", "\r\n", "\r"] {
            let body = text.joined(separator: lineEnding)
            for bytes in [Array(body.utf8), [0xEF, 0xBB, 0xBF] + Array(body.utf8)] {
                let certificate: CurveCertificate
                do {
                    certificate = try CurveCertificate(parsing: bytes, path: "hand.key_secret")
                } catch {
                    // The "'it''s'" line is refused: text after a quoted value.
                    #expect(error.line == 7, "\(error)")
                    #expect(error.kind == .syntax("unexpected text after the quoted value, at column 18"))
                    continue
                }
                Issue.record("accepted text after a quoted value: \(certificate)")
            }
            let fixed = body.replacingOccurrences(of: "'it''s'", with: "\"it's\"")
            for bytes in [Array(fixed.utf8), [0xEF, 0xBB, 0xBF] + Array(fixed.utf8)] {
                let certificate = try CurveCertificate(parsing: bytes, path: "hand.key_secret")
                #expect(certificate.publicKey.z85 == FixedKeys.clientPublic)
                #expect(certificate.secretKey?.revealedZ85 == FixedKeys.clientSecret)
                #expect(certificate.metadata == [
                    "name": "Pieter Hintjens", "single": "it's", "hash": "#2", "empty": "", "bare": "", "deeper": "",
                ])
            }
        }
    }

    @Test("A public file as czmq's zcert_save writes it (metadata included) loads")
    func czmqFile() throws {
        // zcert_save_public writes the metadata in the public file too.
        let text = """
            #   ****  Generated on 2025-01-01 12:00:00 by CZMQ  ****
            #   ZeroMQ CURVE Public Certificate
            #   Exchange securely, or use a secure mechanism to verify the contents
            #   of this file after exchange. Store public certificates in your home
            #   directory, in the .curve subdirectory.

            metadata
                email = "ph@imatix.com"
                name = "Pieter Hintjens"
                organization = "iMatix Corporation"
                version = "1"
            curve
                public-key = "\(FixedKeys.serverPublic)"

            """
        let certificate = try CurveCertificate(parsing: text, path: "mycert.txt")
        #expect(certificate.publicKey.z85 == FixedKeys.serverPublic)
        #expect(certificate.secretKey == nil)
        #expect(certificate.metadata.names == ["email", "name", "organization", "version"])
        #expect(certificate.metadata["organization"] == "iMatix Corporation")
    }

    // MARK: Metadata that can't be written

    @Test("Metadata that a certificate file can't hold is refused when saving, naming the entry",
          arguments: [
              ("", "x", "cannot write metadata entry 1: the name \"\" is not a ZPL name (letters, digits and $-_@.&+/, not beginning or ending with /)"),
              ("two words", "x", "cannot write metadata entry 1: the name \"two words\" is not a ZPL name (letters, digits and $-_@.&+/, not beginning or ending with /)"),
              ("/lead", "x", "cannot write metadata entry 1: the name \"/lead\" is not a ZPL name (letters, digits and $-_@.&+/, not beginning or ending with /)"),
              ("public-key-backup", "x", "cannot write metadata entry 1: the name \"public-key-backup\" would be read as a key by pyzmq's load_certificate"),
              ("secret-key", "x", "cannot write metadata entry 1: the name \"secret-key\" would be read as a key by pyzmq's load_certificate"),
              ("note", "two\nlines", "cannot write metadata entry 1: the value of \"note\" contains a line break or another control character"),
              ("note", "both \" and '", "cannot write metadata entry 1: the value of \"note\" contains both kinds of quote (ZPL has no escapes)"),
          ])
    func unwritableMetadata(name: String, value: String, reason: String) throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate(metadata: [name: value])
        do {
            try certificate.save(inDirectory: folder.path, name: "bad")
            Issue.record("saved metadata \(name.debugDescription) = \(value.debugDescription)")
        } catch {
            #expect(error.kind == .invalidMetadata(reason))
            #expect(error.path == folder.file("bad.key_secret"))
        }
        #expect(try folder.names() == [])
    }

    // MARK: Files that can't be read or written

    @Test("A missing file, a folder, a FIFO and a huge file are errors naming the path")
    func unreadableFiles() throws {
        let folder = try ScratchFolder()
        let missing = folder.file("missing.key")
        #expect(throws: CertificateError(.fileSystem(.open, errorNumber: ENOENT), path: missing)) {
            try CurveCertificate(contentsOf: missing)
        }
        #expect(CertificateError(.fileSystem(.open, errorNumber: ENOENT), path: missing).description
            == "\(missing): cannot open the file: No such file or directory (errno 2)")
        #expect(throws: CertificateError(.notRegularFile, path: folder.path)) {
            try CurveCertificate(contentsOf: folder.path)
        }
        let fifo = folder.file("fifo.key")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: CertificateError(.notRegularFile, path: fifo)) {
            try CurveCertificate(contentsOf: fifo)
        }
        let huge = try folder.write("huge.key", bytes: [UInt8](repeating: UInt8(ascii: "#"), count: CurveCertificate.maximumFileSize + 1))
        #expect(throws: CertificateError(.fileTooLarge(byteCount: CurveCertificate.maximumFileSize + 1), path: huge)) {
            try CurveCertificate(contentsOf: huge)
        }
    }

    @Test("Saving into a missing folder, or under a bad name, is an error naming the file")
    func unwritableFiles() throws {
        let folder = try ScratchFolder()
        let certificate = try CurveCertificate.generate()
        let missing = folder.file("missing")
        #expect(throws: CertificateError(.fileSystem(.create, errorNumber: ENOENT), path: "\(missing)/x.key_secret")) {
            try certificate.save(inDirectory: missing, name: "x")
        }
        for name in ["", "a/b"] {
            #expect(throws: CertificateError(.invalidName, path: folder.file(name))) {
                try certificate.save(inDirectory: folder.path, name: name)
            }
        }
        // A folder in the way of the file: the rename fails, and the temporary file is removed.
        try FileManager.default.createDirectory(atPath: folder.file("taken.key_secret"), withIntermediateDirectories: false)
        #expect(throws: CertificateError(.fileSystem(.rename, errorNumber: EISDIR), path: folder.file("taken.key_secret"))) {
            try certificate.save(inDirectory: folder.path, name: "taken")
        }
        #expect(try folder.names() == ["taken.key_secret"])
    }

    // MARK: Secrets

    @Test("Printing, dumping or reflecting a certificate never shows the secret key")
    func secretIsRedacted() throws {
        let certificate = try CurveCertificate.generate(metadata: ["host": "db1"])
        let secret = try #require(certificate.secretKey).revealedZ85
        for text in renderings(certificate) {
            #expect(!text.contains(secret), "revealed in: \(text)")
            #expect(!revealsPart(of: secret, in: text), "partly revealed in: \(text)")
        }
        #expect("\(certificate)"
            == "CurveCertificate(publicKey: \(certificate.publicKey.z85), secretKey: redacted, metadata: [\"host\": \"db1\"])")
        #expect("\(certificate.publicCertificate)".contains("secretKey: none"))
    }

    @Test("Malformed data never crashes the parser: random bytes and mutations of a valid file")
    func parserSurvivesGarbage() throws {
        var generator = SystemRandomNumberGenerator()
        let valid = Array(certificateText(
            publicKey: FixedKeys.clientPublic, secretKey: FixedKeys.clientSecret, metadata: [("a", "b")]).utf8)
        let interesting: [UInt8] = Array(" \t\r\n#='\"/-".utf8) + [0, 0x80, 0xFF]
        var parsed = 0
        for round in 0..<3000 {
            var bytes = valid
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                    Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[position] = interesting.randomElement(using: &generator)!
                    case 1: bytes.remove(at: position)
                    default: bytes.insert(interesting.randomElement(using: &generator)!, at: position)
                    }
                }
            }
            switch Result(catching: { () throws(CertificateError) in try CurveCertificate(parsing: bytes, path: "fuzz") }) {
            case .success(let certificate):
                parsed += 1
                // Whatever parses is consistent: a secret key always belongs to the public key.
                if let pair = certificate.keyPair {
                    #expect(try pair.secretKey.publicKey == certificate.publicKey)
                }
            case .failure(let error):
                #expect(error.path == "fuzz")
                if let line = error.line { #expect(line >= 1) }
                #expect(!revealsPart(of: FixedKeys.clientSecret, in: error.description), "\(error)")
            }
        }
        // Mutations in comments and whitespace still parse; most of the rest don't.
        #expect(parsed > 0)
    }
}

@Suite(
    "CURVE certificates with pyzmq",
    PythonPeer.condition
)
struct CertificateInteropTests {
    /// Runs a Python script and returns the lines it printed, recording an issue if it fails.
    private func run(_ script: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let peer = try? PythonPeer(script: script, arguments: arguments) else {
            Issue.record("cannot start python3", sourceLocation: sourceLocation)
            return []
        }
        let (status, output, errors) = peer.finish()
        #expect(status == 0, "the Python script failed: \(errors)", sourceLocation: sourceLocation)
        return output.split(separator: "\n").map(String.init)
    }

    @Test("Files written by pyzmq's create_certificates load here with the keys pyzmq's load_certificate reads")
    func pyzmqFilesLoadHere() throws {
        let folder = try ScratchFolder()
        let printed = run(#"""
            import sys, zmq.auth
            public_file, secret_file = zmq.auth.create_certificates(
                sys.argv[1], "py", metadata={"email": "py@example.com", "name": "Py Thon"})
            public_key, secret_key = zmq.auth.load_certificate(secret_file)
            print(public_key.decode())
            print(secret_key.decode())
            """#, [folder.path])
        try #require(printed.count == 2)
        let (publicZ85, secretZ85) = (printed[0], printed[1])
        let secretFile = folder.file("py.key_secret")

        // pyzmq creates the secret file with the default permissions; unless the umask is
        // strict, that is readable by others, and refused.
        let mode = permissions(of: secretFile)
        if mode & 0o077 != 0 {
            #expect(throws: CertificateError(.insecurePermissions(mode: UInt32(mode)), path: secretFile)) {
                try CurveCertificate(contentsOf: secretFile)
            }
            #expect(chmod(secretFile, 0o600) == 0)
        }
        let secret = try CurveCertificate(contentsOf: secretFile)
        #expect(secret.publicKey.z85 == publicZ85)
        #expect(secret.secretKey?.revealedZ85 == secretZ85)
        // pyzmq writes metadata unquoted, and only in the secret file.
        #expect(secret.metadata == ["email": "py@example.com", "name": "Py Thon"])

        let published = try CurveCertificate(contentsOf: folder.file("py.key"))
        #expect(published.publicKey.z85 == publicZ85)
        #expect(published.secretKey == nil)
        #expect(try CurveCertificate.publicKeys(inDirectory: folder.path).map(\.z85) == [publicZ85])
    }

    @Test("Files saved here load in pyzmq with the same keys, one by one and as a folder")
    func ourFilesLoadInPyzmq() throws {
        let folder = try ScratchFolder()
        let server = try CurveCertificate.generate(metadata: ["email": "swift@example.com", "note": "a \"quoted\" # value"])
        let client = try CurveCertificate.generate()
        try server.save(inDirectory: folder.path, name: "server")
        try client.save(inDirectory: folder.path, name: "client")
        let printed = run(#"""
            import sys, os, zmq.auth
            folder = sys.argv[1]
            for name in ("server", "client"):
                public_key, secret_key = zmq.auth.load_certificate(os.path.join(folder, name + ".key"))
                assert secret_key is None, name
                print(public_key.decode())
                public_key, secret_key = zmq.auth.load_certificate(os.path.join(folder, name + ".key_secret"))
                print(public_key.decode())
                print(secret_key.decode())
            print(" ".join(sorted(key.decode() for key in zmq.auth.load_certificates(folder))))
            """#, [folder.path])
        try #require(printed.count == 7)
        let serverSecret = try #require(server.secretKey).revealedZ85
        let clientSecret = try #require(client.secretKey).revealedZ85
        #expect(Array(printed[0..<3]) == [server.publicKey.z85, server.publicKey.z85, serverSecret])
        #expect(Array(printed[3..<6]) == [client.publicKey.z85, client.publicKey.z85, clientSecret])
        #expect(printed[6] == [server.publicKey.z85, client.publicKey.z85].sorted().joined(separator: " "))
    }
}
