// What zmqcat sends: --send frames (empty ones too), --send-file frames (binary, after the
// --send frames), --stdin lines (one message a line, split into frames by --delimiter),
// --count repetitions and --interval-ms pauses. A pyzmq PULL (or REP) shows every frame it
// gets in hex.

import Foundation
import Testing

@Suite("zmqcat sending: --send, --send-file, --stdin, --count, --interval-ms", Peers.pyzmq, .serialized, .timeLimit(.minutes(2)))
struct ZmqcatSendingTests {
    /// Runs `zmqcat push --connect <endpoint> <options>` (standard input from `inputFile`)
    /// against a pyzmq PULL expecting `count` messages; returns what the PULL got.
    static func push(_ options: [String], count: Int, inputFile: String? = nil) async throws -> [[[UInt8]]] {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.receive("pull", "bind", endpoint, count: count)
        let zmqcat = try Zmqcat.start(["push", "--connect", endpoint] + options, inputFile: inputFile, outputFile: nil)
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "pyzmq PULL: \(received.standardError)")
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
        return received.shownMessages
    }

    @Test("--send-file sends the file's bytes as one frame, binary and unchanged")
    func sendFile() async throws {
        let folder = try ZmqcatFolder()
        let bytes = (0...255).map { UInt8($0) } + [0x00, 0xff, 0x0a]
        let file = try folder.write(bytes, to: "binary")
        #expect(try await Self.push(["--send-file", file], count: 1) == [[bytes]])
    }

    @Test("--send frames come first, then the --send-file frames in order; an empty file is an empty frame")
    func sendAndSendFiles() async throws {
        let folder = try ZmqcatFolder()
        let first = try folder.write([0xde, 0xad, 0x00], to: "first")
        let empty = try folder.write([], to: "empty")
        let received = try await Self.push(
            ["--send-file", first, "--send", "head", "--send-file", empty, "--send", ""], count: 1)
        #expect(received == [[utf8("head"), [], [0xde, 0xad, 0x00], []]])
    }

    @Test("--send \"\" sends one empty frame")
    func emptyFrame() async throws {
        #expect(try await Self.push(["--send", ""], count: 1) == [[[]]])
    }

    @Test("--send keeps tabs, newlines, quotes and UTF-8 inside a frame")
    func specialCharacters() async throws {
        let text = "tab\there\nnew \"line\" \\ ü€"
        #expect(try await Self.push(["--send", text], count: 1) == [[utf8(text)]])
    }

    @Test("--stdin: each line is one message; --delimiter splits it into frames, empty ones included")
    func stdinWithDelimiter() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("one\ntwo:2a:2b\n\nthree::x"), to: "input")
        let received = try await Self.push(["--stdin", "--delimiter", ":"], count: 4, inputFile: input)
        #expect(received == [
            [utf8("one")], [utf8("two"), utf8("2a"), utf8("2b")], [[]], [utf8("three"), [], utf8("x")],
        ])
    }

    @Test("--stdin without --delimiter sends each whole line as one frame; a tab delimiter works too")
    func stdinLines() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("a:b\tc\nsecond line\n"), to: "input")
        let whole = try await Self.push(["--stdin"], count: 2, inputFile: input)
        #expect(whole == [[utf8("a:b\tc")], [utf8("second line")]])
        let split = try await Self.push(["--stdin", "--delimiter", "\t"], count: 2, inputFile: input)
        #expect(split == [[utf8("a:b"), utf8("c")], [utf8("second line")]])
    }

    @Test("--stdin keeps a carriage return before the newline, takes a multi-byte delimiter, and a 300 KiB line whole")
    func stdinEdges() async throws {
        let folder = try ZmqcatFolder()
        let long = String(repeating: "0123456789abcdef", count: 300 * 64)
        let input = try folder.write(utf8("dos\r\nx€y€\n" + long + "€end\n"), to: "input")
        let received = try await Self.push(["--stdin", "--delimiter", "€"], count: 3, inputFile: input)
        #expect(received.count == 3)
        #expect(received.first == [utf8("dos\r")])
        #expect(received.dropFirst().first == [utf8("x"), utf8("y"), []])
        #expect(received.last?.count == 2 && received.last?.first == utf8(long) && received.last?.last == utf8("end"),
                "\(received.last?.map(\.count) ?? [])")
    }

    @Test("req --stdin sends each line as a request and prints each reply, then exits 0 at end of input")
    func reqStdin() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("q1\nq2\nq3\n"), to: "input")
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("rep", "bind", sys.argv[1])
            for _ in range(3):
                request = s.recv_multipart()
                show(request)
                s.send_multipart([b"re:" + request[0]])
            """, [endpoint])
        let zmqcat = try Zmqcat.start(["req", "--connect", endpoint, "--stdin"], inputFile: input, outputFile: nil)
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["re:q1", "re:q2", "re:q3"])
        #expect(try await peer.finish().shownMessages == [[utf8("q1")], [utf8("q2")], [utf8("q3")]])
    }

    @Test("dealer --stdin sends each line to a pyzmq ROUTER and exits 0 at the end of its input")
    func dealerStdin() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("a,b\n,\nlast"), to: "input")
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("router", "bind", sys.argv[1])
            for _ in range(3):
                show(s.recv_multipart())
            """, [endpoint])
        let zmqcat = try Zmqcat.start(
            ["dealer", "--connect", endpoint, "--routing-id", "d1", "--stdin", "--delimiter", ","],
            inputFile: input, outputFile: nil)
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect(received.shownMessages == [
            [utf8("d1"), utf8("a"), utf8("b")], [utf8("d1"), [], []], [utf8("d1"), utf8("last")],
        ])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
    }

    @Test("rep --stdin answers each request with the next line of its input (--count 2: two requests answered)")
    func repStdin() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("first answer\nsecond|answer\n"), to: "input")
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(
            ["rep", "--bind", endpoint, "--stdin", "--delimiter", "|", "--count", "2"], inputFile: input, outputFile: nil)
        let peer = try PyPeer.request("connect", endpoint, [[utf8("q1")], [utf8("q2")]])
        let replies = try await peer.finish()
        #expect(replies.exitedCleanly, "\(replies.standardError)")
        #expect(replies.shownMessages == [[utf8("first answer")], [utf8("second"), utf8("answer")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["q1", "q2"])
    }

    @Test("pull --count N exits 0 after N messages even when more are coming")
    func receiveCount() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["pull", "--bind", endpoint, "--count", "2"])
        let peer = try PyPeer.start("""
            s = open_socket("push", "connect", sys.argv[1], linger=0)
            for i in range(5):
                s.send(b"m%d" % i)
            time.sleep(2)
            """, [endpoint])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["m0", "m1"])
        _ = try await peer.finish()
    }

    @Test("--interval-ms waits between the --count sends")
    func interval() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("pull", "bind", sys.argv[1])
            times = []
            for _ in range(4):
                show(s.recv_multipart())
                times.append(time.monotonic())
            print("span %d" % int((times[-1] - times[0]) * 1000), flush=True)
            """, [endpoint])
        let start = ContinuousClock.now
        let zmqcat = try Zmqcat.start(["push", "--connect", endpoint, "--send", "tick", "--count", "4", "--interval-ms", "400"])
        let result = try await zmqcat.finish()
        let elapsed = ContinuousClock.now - start
        result.expectSuccess()
        // Three pauses of 400 ms: zmqcat cannot be done sooner (a lower bound, not a timing).
        #expect(elapsed >= .milliseconds(1200), "\(elapsed)")
        let received = try await peer.finish()
        #expect(received.shownMessages == Array(repeating: [utf8("tick")], count: 4))
        let span = try #require(received.lines.last { $0.hasPrefix("span ") }.flatMap { Int($0.dropFirst(5)) })
        // The first arrival may be late by scheduling noise, hence the margin.
        #expect(span >= 800, "the four messages arrived within \(span) ms")
    }

    @Test("--interval-ms also paces --stdin lines")
    func intervalWithStdin() async throws {
        let folder = try ZmqcatFolder()
        let input = try folder.write(utf8("a\nb\nc\n"), to: "input")
        let start = ContinuousClock.now
        let received = try await Self.push(["--stdin", "--interval-ms", "400"], count: 3, inputFile: input)
        let elapsed = ContinuousClock.now - start
        #expect(received == [[utf8("a")], [utf8("b")], [utf8("c")]])
        #expect(elapsed >= .milliseconds(800), "\(elapsed)")
    }
}
