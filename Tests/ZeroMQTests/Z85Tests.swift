import CZeroMQ
import Testing
import ZeroMQ

@Suite("Z85")
struct Z85Tests {
    /// ZeroMQ RFC 32's test vector.
    static let helloWorldBytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]

    /// The reason of the `invalidArgument` error `body` throws, or `nil` (recording an issue)
    /// if it throws nothing or something else.
    private static func reason(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(ZMQError) -> Any) -> String? {
        do {
            let result = try body()
            Issue.record("expected an error, got \(result)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == .invalidArgument, sourceLocation: sourceLocation)
            return error.reason
        }
        return nil
    }

    /// An independent Z85 encoder (RFC 32's reference algorithm), to check libzmq's output.
    private static func referenceEncode(_ bytes: [UInt8]) -> String {
        let alphabet = Array(Z85.alphabet.utf8)
        var characters: [UInt8] = []
        for start in stride(from: 0, to: bytes.count, by: 4) {
            var value = bytes[start..<start + 4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            var group = [UInt8](repeating: 0, count: 5)
            for index in (0..<5).reversed() {
                group[index] = alphabet[Int(value % 85)]
                value /= 85
            }
            characters += group
        }
        return String(decoding: characters, as: UTF8.self)
    }

    @Test("RFC 32's test vector: 86 4F D2 6F B5 59 F7 5B is HelloWorld, both ways")
    func rfcTestVector() throws {
        #expect(try Z85.encode(Self.helloWorldBytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == Self.helloWorldBytes)
        // Any collection of bytes and any string type will do.
        #expect(try Z85.encode(Self.helloWorldBytes[...]) == "HelloWorld")
        #expect(try Z85.decode("xHelloWorldx".dropFirst().dropLast()) == Self.helloWorldBytes)
    }

    @Test("The alphabet has 85 distinct characters, in RFC 32's order")
    func alphabet() {
        #expect(Z85.alphabet.count == 85)
        #expect(Set(Z85.alphabet).count == 85)
        #expect(Z85.alphabet.hasPrefix("0123456789abc"))
        #expect(Z85.alphabet.hasSuffix("{}@%$#"))
    }

    @Test("Empty input encodes and decodes to empty output")
    func empty() throws {
        #expect(try Z85.encode([UInt8]()) == "")
        #expect(try Z85.decode("") == [])
    }

    @Test("The extreme groups: 00000000 is 00000 and FFFFFFFF is %nSc0")
    func extremeGroups() throws {
        #expect(try Z85.encode([0, 0, 0, 0]) == "00000")
        #expect(try Z85.encode([0xFF, 0xFF, 0xFF, 0xFF]) == "%nSc0")
        #expect(try Z85.decode("%nSc0") == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try Z85.decode("00000") == [0, 0, 0, 0])
    }

    @Test("Random data round-trips, and libzmq's encoding matches the reference algorithm")
    func randomRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let count = Int.random(in: 0...32, using: &generator) * 4
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = try Z85.encode(bytes)
            #expect(text == Self.referenceEncode(bytes))
            #expect(text.utf8.count == count / 4 * 5)
            #expect(try Z85.decode(text) == bytes)
        }
    }

    @Test("Encoding refuses a length that is not a multiple of 4, saying the length")
    func encodeRefusesBadLength() {
        #expect(Self.reason { () throws(ZMQError) in try Z85.encode([1, 2, 3]) } == "Z85 encodes a multiple of 4 bytes, not 3")
        #expect(Self.reason { () throws(ZMQError) in try Z85.encode([UInt8](repeating: 0, count: 33)) }
            == "Z85 encodes a multiple of 4 bytes, not 33")
    }

    @Test("Decoding refuses a length that is not a multiple of 5, saying the length")
    func decodeRefusesBadLength() {
        #expect(Self.reason { () throws(ZMQError) in try Z85.decode("HelloWorl") } == "Z85 text is a multiple of 5 characters long, not 9")
        #expect(Self.reason { () throws(ZMQError) in try Z85.decode("H") } == "Z85 text is a multiple of 5 characters long, not 1")
    }

    @Test("Decoding refuses a character outside the alphabet, saying where, not what", arguments: [
        ("HelloWo~ld", 8), ("Hello Worl", 6), ("\"ello", 1), ("Hell'", 5), ("Hello\nWorl", 6),
        ("HelloWorl\u{7F}", 10), ("Hélló", 2), ("Hello_orld", 6), ("Hello\\orld", 6), ("Hel,o", 4),
    ])
    func decodeRefusesForeignCharacters(text: String, position: Int) {
        let reason = Self.reason { () throws(ZMQError) in try Z85.decode(text) }
        #expect(reason == "character \(position) is not in the Z85 alphabet")
    }

    @Test("Exactly the 85 alphabet characters are accepted, of every ASCII character")
    func everyASCIICharacter() {
        for value in UInt8(0)...127 {
            let character = Character(Unicode.Scalar(value))
            let text = "0000" + String(character)
            let accepted = (try? Z85.decode(text)) != nil
            #expect(accepted == Z85.alphabet.contains(character), "character \(value)")
        }
    }

    @Test("A group above 2^32 - 1 is refused, saying which characters")
    func decodeRefusesOverflow() throws {
        // "#####" is 85^5 - 1; "%nSc1" is 2^32, one more than the largest group.
        #expect(Self.reason { () throws(ZMQError) in try Z85.decode("Hello#####") } == "characters 6-10 encode a value above 2^32 - 1")
        #expect(Self.reason { () throws(ZMQError) in try Z85.decode("%nSc1") } == "characters 1-5 encode a value above 2^32 - 1")
        // 2^32 - 1 itself is fine.
        #expect(try Z85.decode("%nSc0HelloWorld").count == 12)
    }

    @Test("A NUL inside the text is refused; libzmq alone would stop reading there and succeed")
    func embeddedNULIsRefused() {
        let text = "Hello\u{0}orld"
        #expect(Self.reason { () throws(ZMQError) in try Z85.decode(text) } == "character 6 is not in the Z85 alphabet")
        // What libzmq makes of the same characters: the first group, and no error.
        var bytes = [UInt8](repeating: 0, count: 8)
        let cString = Array(text.utf8CString)
        let decoded = zmq_z85_decode(&bytes, cString)
        #expect(decoded != nil)
        #expect(bytes.prefix(4) == Self.helloWorldBytes.prefix(4))
    }

    @Test("Errors never quote the text, which may be a secret key")
    func errorsDoNotQuoteTheText() throws {
        let secret = try CurveKeyPair.generate().secretKey.revealedZ85
        let broken = String(secret.prefix(6)) + "~" + String(secret.dropFirst(7))
        do {
            _ = try Z85.decode(broken)
            Issue.record("a key with ~ was accepted")
        } catch {
            #expect(error.reason == "character 7 is not in the Z85 alphabet")
            #expect(!error.description.contains(secret.prefix(6)))
            #expect(!error.description.contains(secret.dropFirst(7)))
            #expect(error.description.hasPrefix("Z85.decode: character 7"), "\(error)")
        }
    }

    @Test("CURVE keys use the same Z85: the key's text is Z85 of its bytes")
    func curveKeysAgree() throws {
        let pair = try CurveKeyPair.generate()
        #expect(try Z85.encode(pair.publicKey.bytes) == pair.publicKey.z85)
        #expect(try Z85.decode(pair.secretKey.revealedZ85) == pair.secretKey.revealedBytes)
        #expect(try CurvePublicKey(bytes: Z85.decode(pair.publicKey.z85)) == pair.publicKey)
    }
}
