// zmqcat's output formats, byte for byte: a pyzmq PUSH sends the same five messages (binary
// frames with 0x00 and 0xff, invalid UTF-8, empty frames, an empty-framed message, tabs,
// newlines, quotes and backslashes inside frames) to `zmqcat pull --format F`, whose standard
// output goes to a file that is compared with the bytes the spec fixes. The JSON output is
// also parsed back with JSONSerialization and must give the frames that were sent.

import Foundation
import Testing

@Suite("zmqcat output formats", Peers.pyzmq, .serialized, .timeLimit(.minutes(2)))
struct ZmqcatFormatTests {
    /// The messages every format test sends, in this order.
    static let messages: [[[UInt8]]] = [
        [utf8("hello"), [], [0x00, 0x01, 0xff], utf8("a\tb")],
        [utf8("say \"hi\"\n"), utf8("back\\slash\r"), utf8("ü€😀"), [0x7f, 0x1b], [0x08, 0x0c, 0x00]],
        [[]],
        [[], []],
        [[0xc3, 0x28], utf8("ok")],  // 0xc3 0x28: a lead byte without its continuation
    ]

    /// What each format prints for ``messages``, line by line (raw: the frames back to back).
    static let expected: [String: [UInt8]] = [
        "text": [
            utf8("hello\t\t"), [0x00, 0x01], utf8("\u{FFFD}\ta\tb\n"),
            utf8("say \"hi\"\n\tback\\slash\r\tü€😀\t"), [0x7f, 0x1b], utf8("\t"), [0x08, 0x0c, 0x00], utf8("\n"),
            utf8("\n"),
            utf8("\t\n"),
            utf8("\u{FFFD}(\tok\n"),
        ].flatMap { $0 },
        "quoted": utf8(#"""
            "hello" "" "\0\x01\xff" "a\tb"
            "say \"hi\"\n" "back\\slash\r" "\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80" "\x7f\x1b" "\x08\x0c\0"
            ""
            "" ""
            "\xc3(" "ok"

            """#),
        "hex": utf8("""
            68656c6c6f - 0001ff 610962
            73617920226869220a 6261636b5c736c6173680d c3bce282acf09f9880 7f1b 080c00
            -
            - -
            c328 6f6b

            """),
        "json": [
            utf8(#"{"frames": ["hello", "", {"base64": "AAH/"}, "a\tb"]}"# + "\n"),
            utf8(#"{"frames": ["say \"hi\"\n", "back\\slash\r", "ü€😀", ""#), [0x7f],
            utf8(#"\u001b", "\b\f\u0000"]}"# + "\n"),
            utf8(#"{"frames": [""]}"# + "\n"),
            utf8(#"{"frames": ["", ""]}"# + "\n"),
            utf8(#"{"frames": [{"base64": "wyg="}, "ok"]}"# + "\n"),
        ].flatMap { $0 },
        "raw": messages.flatMap { $0.flatMap { $0 } },
    ]

    /// Sends ``messages`` from a pyzmq PUSH to `zmqcat pull` with `options`, and returns
    /// zmqcat's standard output bytes after checking that it exited 0.
    static func pull(_ options: [String], messages: [[[UInt8]]] = messages) async throws -> [UInt8] {
        let folder = try ZmqcatFolder()
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(
            ["pull", "--bind", endpoint, "--count", String(messages.count)] + options,
            inputFile: nil, outputFile: folder.file("stdout"))
        let peer = try PyPeer.send("push", "connect", endpoint, messages, folder: folder)
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(try await peer.finish().exitedCleanly)
        return folder.contents(of: "stdout")
    }

    @Test("Each format prints the exact bytes the spec gives", arguments: ["text", "quoted", "hex", "json", "raw"])
    func format(_ format: String) async throws {
        let output = try await Self.pull(["--format", format])
        let expected = try #require(Self.expected[format])
        #expect(output == expected, """
            \(format) printed \(String(decoding: output, as: UTF8.self).debugDescription)
            expected \(String(decoding: expected, as: UTF8.self).debugDescription)
            """)
    }

    @Test("Without --format, zmqcat prints text")
    func defaultFormat() async throws {
        let output = try await Self.pull([])
        #expect(output == Self.expected["text"])
    }

    @Test("The JSON lines parse with JSONSerialization and give back the frames that were sent")
    func jsonRoundTrip() async throws {
        let output = try await Self.pull(["--format", "json"])
        #expect(output.last == UInt8(ascii: "\n"))
        let lines = output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == Self.messages.count, "\(lines.count) lines")
        for (line, message) in zip(lines, Self.messages) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(object.count == 1)
            let frames = try #require(object["frames"] as? [Any])
            let decoded: [[UInt8]] = try frames.map { frame in
                if let text = frame as? String { return utf8(text) }
                let wrapped = try #require(frame as? [String: String])
                #expect(wrapped.count == 1)
                let base64 = try #require(wrapped["base64"])
                return [UInt8](try #require(Data(base64Encoded: base64)))
            }
            #expect(decoded == message)
        }
    }

    @Test("json gives base64 for every kind of invalid UTF-8 and keeps valid multi-byte text as is")
    func jsonValidity() async throws {
        let frames: [[UInt8]] = [
            [0xed, 0xa0, 0x80],        // an encoded surrogate
            [0xc0, 0x80],              // an overlong encoding
            [0xf4, 0x90, 0x80, 0x80],  // beyond U+10FFFF
            [0xe2, 0x82],              // truncated
            [0xf0, 0x9f, 0x98, 0x80],  // 😀
            [0xef, 0xbf, 0xbd],        // U+FFFD itself is valid
        ]
        let output = try await Self.pull(["--format", "json"], messages: [frames])
        let expected = #"{"frames": [{"base64": "7aCA"}, {"base64": "wIA="}, {"base64": "9JCAgA=="}, {"base64": "4oI="}, "😀", "\#u{FFFD}"]}"#
            + "\n"
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test("A message with every byte value prints in hex, quoted and raw without loss")
    func everyByte() async throws {
        let all = (0...255).map { UInt8($0) }
        let message: [[[UInt8]]] = [[all, [], all.reversed()]]
        let hex = try await Self.pull(["--format", "hex"], messages: message)
        #expect(hex == utf8(hexString(all) + " - " + hexString(all.reversed()) + "\n"))

        let raw = try await Self.pull(["--format", "raw"], messages: message)
        #expect(raw == all + all.reversed())

        let quoted = try await Self.pull(["--format", "quoted"], messages: [[all]])
        var expected = "\""
        for byte in all {
            switch byte {
            case 0: expected += "\\0"
            case 0x09: expected += "\\t"
            case 0x0a: expected += "\\n"
            case 0x0d: expected += "\\r"
            case UInt8(ascii: "\""): expected += "\\\""
            case UInt8(ascii: "\\"): expected += "\\\\"
            case 0x20...0x7e: expected += String(UnicodeScalar(byte))
            default: expected += "\\x" + hexString([byte])
            }
        }
        expected += "\"\n"
        #expect(String(decoding: quoted, as: UTF8.self) == expected)
    }

    @Test("raw passes a 256 KiB binary frame through unchanged")
    func largeRawFrame() async throws {
        var generator = SystemRandomNumberGenerator()
        let frame = (0..<(256 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let output = try await Self.pull(["--format", "raw"], messages: [[frame]])
        #expect(output.count == frame.count)
        #expect(output == frame)
    }

    @Test("Only messages reach stdout: text output is exactly the received lines, status goes to stderr")
    func stdoutCarriesOnlyMessages() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["pull", "--bind", endpoint, "--count", "2"])
        let peer = try PyPeer.send("push", "connect", endpoint, [[utf8("first")], [utf8("second"), utf8("part")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput == "first\nsecond\tpart\n")
        #expect(try await peer.finish().exitedCleanly)
    }
}
