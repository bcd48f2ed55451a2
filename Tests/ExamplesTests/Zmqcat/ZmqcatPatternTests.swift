// zmqcat as each socket type, against a pyzmq peer of the matching type (and STREAM against a
// plain TCP client and server from Python's `socket` module), over tcp:// and ipc://, binding
// and connecting. Each test checks what both sides saw, frame by frame.
//
// PUB/SUB: the slow joiner is handled without sleeping on our side. When zmqcat subscribes,
// the pyzmq publisher is an XPUB that waits for zmqcat's subscription messages before it
// publishes. When zmqcat publishes, it sends several times with an interval and the test
// expects a non-empty run of the messages, not all of them.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("zmqcat socket types against pyzmq", Peers.pyzmq, .serialized, .timeLimit(.minutes(2)))
struct ZmqcatPatternTests {
    // MARK: PUSH / PULL

    @Test("push --connect: a pyzmq PULL gets the multipart message --count times, empty frame included")
    func pushToPyzmq() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.receive("pull", "bind", endpoint, count: 3)
        let zmqcat = try Zmqcat.start(
            ["push", "--connect", endpoint, "--send", "a", "--send", "", "--send", "b", "--count", "3"])
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect(received.shownMessages == Array(repeating: [utf8("a"), [], utf8("b")], count: 3))
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
    }

    @Test("push --bind over ipc: every message reaches a pyzmq PULL before zmqcat exits")
    func pushOverIPC() async throws {
        let folder = try ZmqcatFolder()
        let endpoint = folder.ipcEndpoint()
        let zmqcat = try Zmqcat.start(["push", "--bind", endpoint, "--send", "over ipc", "--count", "5"])
        let peer = try PyPeer.receive("pull", "connect", endpoint, count: 5)
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect(received.shownMessages == Array(repeating: [utf8("over ipc")], count: 5))
        try await zmqcat.finish().expectSuccess()
    }

    @Test("pull --connect over ipc prints what a binding pyzmq PUSH sends, then exits after --count")
    func pullOverIPC() async throws {
        let folder = try ZmqcatFolder()
        let endpoint = folder.ipcEndpoint()
        let peer = try PyPeer.send("push", "bind", endpoint, [[utf8("one")], [utf8("two"), utf8("2")]])
        let result = try await Zmqcat.run(["pull", "--connect", endpoint, "--count", "2"])
        result.expectSuccess()
        #expect(result.lines == ["one", "two\t2"])
        #expect(try await peer.finish().exitedCleanly)
    }

    @Test("--bind and --connect repeat and mix: pull receives from a peer on each endpoint")
    func severalEndpoints() async throws {
        let folder = try ZmqcatFolder()
        let bound = try Endpoints.fresh()
        let boundIPC = folder.ipcEndpoint("bound")
        let connected = try Endpoints.fresh()
        let third = try PyPeer.send("push", "bind", connected, [[utf8("to a connect")]])
        try await third.waitForOutput("ready")
        let zmqcat = try Zmqcat.start(
            ["pull", "--bind", bound, "--connect", connected, "--bind", boundIPC, "--count", "3"])
        let first = try PyPeer.send("push", "connect", bound, [[utf8("to a tcp bind")]])
        let second = try PyPeer.send("push", "connect", boundIPC, [[utf8("to an ipc bind")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(Set(result.lines) == ["to a tcp bind", "to an ipc bind", "to a connect"])
        #expect(result.lines.count == 3)
        for peer in [first, second, third] {
            #expect(try await peer.finish().exitedCleanly)
        }
    }

    // MARK: PUB / SUB

    @Test("pub: a pyzmq SUB receives what zmqcat publishes (a non-empty run of --count sends)")
    func pubToPyzmq() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("sub", "bind", sys.argv[1])
            s.subscribe(b"news")
            show(s.recv_multipart())
            s.rcvtimeo = 1500
            try:
                while True:
                    show(s.recv_multipart())
            except zmq.Again:
                pass
            """, [endpoint])
        let zmqcat = try Zmqcat.start([
            "pub", "--connect", endpoint, "--send", "news", "--send", "body", "--count", "5", "--interval-ms", "100",
        ])
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect((1...5).contains(received.shownMessages.count), "\(received.shownMessages.count) messages")
        #expect(received.shownMessages.allSatisfy { $0 == [utf8("news"), utf8("body")] })
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
    }

    @Test("sub --subscribe: zmqcat subscribes to exactly the prefix and prints only matching messages")
    func subWithPrefix() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(
            ["sub", "--bind", endpoint, "--subscribe", "news", "--count", "2", "--format", "quoted"])
        let peer = try PyPeer.publishAfterSubscriptions("connect", endpoint, subscriptions: 1, [
            [utf8("sports"), utf8("x")], [utf8("news"), utf8("1")], [utf8("weather")], [utf8("newsy"), utf8("2")],
        ])
        let published = try await peer.finish()
        #expect(published.exitedCleanly, "\(published.standardError)")
        #expect(published.shownMessages == [[[0x01] + utf8("news")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""news" "1""#, #""newsy" "2""#])
    }

    @Test("sub without --subscribe receives everything; --subscribe is repeatable")
    func subscriptions() async throws {
        let everything = try Endpoints.fresh()
        let all = try Zmqcat.start(["sub", "--connect", everything, "--count", "2"])
        let publisher = try PyPeer.publishAfterSubscriptions("bind", everything, subscriptions: 1, [
            [utf8("a")], [utf8("b")],
        ])
        #expect(try await publisher.finish().shownMessages == [[[0x01]]])
        let allResult = try await all.finish()
        allResult.expectSuccess()
        #expect(allResult.lines == ["a", "b"])

        let two = try Endpoints.fresh()
        let some = try Zmqcat.start(["sub", "--connect", two, "--subscribe", "a", "--subscribe", "b", "--count", "2"])
        let second = try PyPeer.publishAfterSubscriptions("bind", two, subscriptions: 2, [
            [utf8("c1")], [utf8("a1")], [utf8("x")], [utf8("b1")],
        ])
        let subscriptions = try await second.finish().shownMessages
        #expect(Set(subscriptions.map { $0.flatMap { $0 } }) == [[0x01, 0x61], [0x01, 0x62]])
        let someResult = try await some.finish()
        someResult.expectSuccess()
        #expect(someResult.lines == ["a1", "b1"])
    }

    // MARK: XPUB / XSUB

    @Test("xpub prints the subscription message a pyzmq SUB sends")
    func xpubPrintsSubscriptions() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["xpub", "--bind", endpoint, "--count", "1", "--format", "quoted"])
        let peer = try PyPeer.start("""
            s = open_socket("sub", "connect", sys.argv[1])
            s.subscribe(b"topic")
            print("subscribed", flush=True)
            time.sleep(10)
            """, [endpoint])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""\x01topic""#])
        _ = try await peer.stop()
    }

    @Test("xpub sends like pub: a pyzmq SUB gets the message, and zmqcat prints the subscription")
    func xpubSends() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start([
            "xpub", "--bind", endpoint, "--send", "topic", "--send", "data", "--count", "5", "--interval-ms", "200",
            "--format", "quoted",
        ])
        let peer = try PyPeer.start("""
            s = open_socket("sub", "connect", sys.argv[1])
            s.subscribe(b"topic")
            show(s.recv_multipart())
            """, [endpoint])
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect(received.shownMessages == [[utf8("topic"), utf8("data")]])
        try await zmqcat.waitForOutput(#""\x01topic""#)
        let result: DemoResult
        if zmqcat.isRunning {
            (result, _) = try await zmqcat.stop(with: SIGTERM)
        } else {
            result = try await zmqcat.finish()
        }
        result.expectSuccess()
        #expect(result.lines.allSatisfy { $0 == #""\x01topic""# || $0 == #""\0topic""# }, "\(result.lines)")
    }

    @Test("xsub --subscribe sends the subscription message and prints what matches")
    func xsubSubscribes() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.publishAfterSubscriptions("bind", endpoint, subscriptions: 1, [
            [utf8("other")], [utf8("news"), [0x00, 0xff]],
        ])
        let result = try await Zmqcat.run(
            ["xsub", "--connect", endpoint, "--subscribe", "news", "--count", "1", "--format", "quoted"])
        result.expectSuccess()
        #expect(result.lines == [#""news" "\0\xff""#])
        let published = try await peer.finish()
        #expect(published.shownMessages == [[[0x01] + utf8("news")]])
    }

    // MARK: REQ / REP

    @Test("req sends its multipart request to a pyzmq REP and prints the binary reply")
    func reqToPyzmq() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.reply("bind", endpoint, count: 1, reply: [utf8("pong"), [0x00, 0xff]])
        try await peer.waitForOutput("ready")
        let result = try await Zmqcat.run(
            ["req", "--connect", endpoint, "--send", "ping", "--send", "", "--timeout-ms", "5000", "--format", "hex"])
        result.expectSuccess()
        #expect(result.lines == ["706f6e67 00ff"])
        #expect(try await peer.finish().shownMessages == [[utf8("ping"), []]])
    }

    @Test("req --count N sends N requests and prints N replies (over ipc)")
    func reqCount() async throws {
        let folder = try ZmqcatFolder()
        let endpoint = folder.ipcEndpoint()
        let peer = try PyPeer.start("""
            s = open_socket("rep", "bind", sys.argv[1])
            for i in range(3):
                show(s.recv_multipart())
                s.send(b"reply-%d" % i)
            """, [endpoint])
        let result = try await Zmqcat.run(["req", "--connect", endpoint, "--send", "ping", "--count", "3"])
        result.expectSuccess()
        #expect(result.lines == ["reply-0", "reply-1", "reply-2"])
        #expect(try await peer.finish().shownMessages == Array(repeating: [utf8("ping")], count: 3))
    }

    @Test("rep without --send echoes each request and prints it")
    func repEchoes() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["rep", "--bind", endpoint, "--count", "2", "--format", "quoted"])
        let peer = try PyPeer.request("connect", endpoint, [[utf8("a"), utf8("b")], [[], [0xff]]])
        let replies = try await peer.finish()
        #expect(replies.exitedCleanly, "\(replies.standardError)")
        #expect(replies.shownMessages == [[utf8("a"), utf8("b")], [[], [0xff]]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""a" "b""#, #""" "\xff""#])
    }

    @Test("rep --send replies with the given frames (over ipc)")
    func repReplies() async throws {
        let folder = try ZmqcatFolder()
        let endpoint = folder.ipcEndpoint()
        let zmqcat = try Zmqcat.start(["rep", "--bind", endpoint, "--send", "pong", "--send", "2", "--count", "2"])
        let peer = try PyPeer.request("connect", endpoint, [[utf8("ping")], [utf8("again")]])
        let replies = try await peer.finish()
        #expect(replies.shownMessages == Array(repeating: [utf8("pong"), utf8("2")], count: 2))
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["ping", "again"])
    }

    // MARK: DEALER / ROUTER

    @Test("dealer sends to a pyzmq ROUTER (which sees --routing-id) and prints the reply")
    func dealerToPyzmq() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("router", "bind", sys.argv[1])
            print("ready", flush=True)
            message = s.recv_multipart()
            show(message)
            s.send_multipart([message[0], b"world", b""])
            """, [endpoint])
        try await peer.waitForOutput("ready")
        let result = try await Zmqcat.run([
            "dealer", "--connect", endpoint, "--routing-id", "cat-7", "--send", "hello", "--count", "1",
            "--timeout-ms", "5000", "--format", "quoted",
        ])
        result.expectSuccess()
        #expect(result.lines == [#""world" """#])
        #expect(try await peer.finish().shownMessages == [[utf8("cat-7"), utf8("hello")]])
    }

    @Test("router prints the peer's routing id first and replies with --send to that peer")
    func routerReplies() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["router", "--bind", endpoint, "--send", "ack", "--count", "2", "--format", "quoted"])
        let peer = try PyPeer.start("""
            s = open_socket("dealer", "connect", sys.argv[1], routing_id=b"py-1")
            s.send_multipart([b"one"])
            show(s.recv_multipart())
            s.send_multipart([b"two", b"\\xff"])
            show(s.recv_multipart())
            """, [endpoint])
        let replies = try await peer.finish()
        #expect(replies.exitedCleanly, "\(replies.standardError)")
        #expect(replies.shownMessages == [[utf8("ack")], [utf8("ack")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""py-1" "one""#, #""py-1" "two" "\xff""#])
    }

    @Test("router --send answers a pyzmq REQ (whose empty delimiter frame it prints and sends back)")
    func routerRepliesToReq() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["router", "--bind", endpoint, "--send", "ack", "--count", "2", "--format", "quoted"])
        let peer = try PyPeer.start("""
            s = open_socket("req", "connect", sys.argv[1], routing_id=b"req-1")
            s.send(b"ping")
            show(s.recv_multipart())
            s.send_multipart([b"again", b""])
            show(s.recv_multipart())
            """, [endpoint])
        let replies = try await peer.finish()
        #expect(replies.exitedCleanly, "\(replies.standardError)")
        #expect(replies.shownMessages == [[utf8("ack")], [utf8("ack")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""req-1" "" "ping""#, #""req-1" "" "again" """#])
    }

    @Test("router --send replies with the routing id and the --send frames only, even to a DEALER message with an empty frame")
    func routerReplyIsIDAndSendFrames() async throws {
        // The spec: "With --send it replies to each message (routing id + the --send frames)".
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["router", "--bind", endpoint, "--send", "ack", "--count", "1", "--format", "quoted"])
        let peer = try PyPeer.start("""
            s = open_socket("dealer", "connect", sys.argv[1], routing_id=b"py-3")
            s.send_multipart([b"two", b""])
            show(s.recv_multipart())
            """, [endpoint])
        let replies = try await peer.finish()
        #expect(replies.exitedCleanly, "\(replies.standardError)")
        #expect(replies.shownMessages == [[utf8("ack")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == [#""py-3" "two" """#])
    }

    @Test("router --stdin: a line's first frame names the peer to send the rest to")
    func routerStdin() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["router", "--bind", endpoint, "--stdin", "--delimiter", ":"], standardInput: true)
        let peer = try PyPeer.start("""
            s = open_socket("dealer", "connect", sys.argv[1], routing_id=b"py-2")
            s.send(b"hi")
            show(s.recv_multipart())
            """, [endpoint])
        try await zmqcat.waitForOutput("py-2\thi\n")
        try zmqcat.writeToStandardInput("py-2:reply:x\n")
        let received = try await peer.finish()
        #expect(received.exitedCleanly, "\(received.standardError)")
        #expect(received.shownMessages == [[utf8("reply"), utf8("x")]])
        let (result, _) = try await zmqcat.stop(with: SIGTERM)
        result.expectSuccess()
        #expect(result.lines == ["py-2\thi"])
    }

    // MARK: PAIR

    @Test("pair --connect sends to a pyzmq PAIR and prints its answer")
    func pairConnects() async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("pair", "bind", sys.argv[1])
            print("ready", flush=True)
            show(s.recv_multipart())
            s.send_multipart([b"back", b"2"])
            time.sleep(0.5)
            """, [endpoint])
        try await peer.waitForOutput("ready")
        let result = try await Zmqcat.run(
            ["pair", "--connect", endpoint, "--send", "hi", "--count", "1", "--timeout-ms", "5000"])
        result.expectSuccess()
        #expect(result.lines == ["back\t2"])
        #expect(try await peer.finish().shownMessages == [[utf8("hi")]])
    }

    @Test("pair --bind over ipc only prints when given nothing to send")
    func pairBinds() async throws {
        let folder = try ZmqcatFolder()
        let endpoint = folder.ipcEndpoint()
        let zmqcat = try Zmqcat.start(["pair", "--bind", endpoint, "--count", "1"])
        let peer = try PyPeer.send("pair", "connect", endpoint, [[utf8("x"), [], utf8("y")]])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["x\t\ty"])
        #expect(try await peer.finish().exitedCleanly)
    }

    // MARK: STREAM

    /// The start of a plain TCP client in Python: `c` is connected to 127.0.0.1 on the port
    /// in `sys.argv[1]`, retried for up to 10 s while zmqcat is not yet listening.
    static let plainTCPClient = """
        import socket, sys, time
        deadline = time.time() + 10
        while True:
            try:
                c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
                break
            except ConnectionRefusedError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

        """

    @Test("stream --bind prints [routing id, data] for a plain TCP client's bytes")
    func streamFromTCPClient() async throws {
        let endpoint = try Endpoints.fresh()
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let zmqcat = try Zmqcat.start(["stream", "--bind", endpoint, "--format", "hex"])
        let client = try DemoProcess.python(Self.plainTCPClient + """
            c.sendall(b"hello\\n\\x00\\xff")
            print("sent", flush=True)
            time.sleep(10)
            """, [port], name: "tcp client")
        try await zmqcat.waitForOutput(" 68656c6c6f0a00ff\n")
        let (result, _) = try await zmqcat.stop(with: SIGINT)
        result.expectSuccess()
        _ = try await client.stop()
        let data = result.lines.filter { $0.hasSuffix(" 68656c6c6f0a00ff") }
        #expect(data.count == 1, "\(result.lines)")
        // The routing id is one non-empty frame before the data.
        let parts = try #require(data.first).split(separator: " ")
        #expect(parts.count == 2 && parts[0] != "-" && !parts[0].isEmpty, "\(result.lines)")
        // Other lines can only be STREAM's connect/disconnect notifications: [id, empty].
        for line in result.lines where !line.hasSuffix(" 68656c6c6f0a00ff") {
            #expect(line == "\(parts[0]) -", "unexpected line \(line)")
        }
    }

    @Test("stream --bind --send sends the bytes, unframed, to a plain TCP client that connects")
    func streamSendsToTCPClient() async throws {
        let endpoint = try Endpoints.fresh()
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let zmqcat = try Zmqcat.start(["stream", "--bind", endpoint, "--send", "welcome\n"])
        let client = try DemoProcess.python(Self.plainTCPClient + """
            data = b""
            while not data.endswith(b"\\n"):
                chunk = c.recv(100)
                if not chunk:
                    break
                data += chunk
            print("got " + data.hex(), flush=True)
            """, [port], name: "tcp client")
        let received = try await client.finish()
        #expect(received.lines == ["got " + hexString(utf8("welcome\n"))], "\(received.standardError)")
        let result = zmqcat.isRunning ? try await zmqcat.stop(with: SIGTERM).0 : try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
    }

    @Test("stream --connect sends --send to a plain TCP server and prints its answer (--count 1 waits for it)")
    func streamToTCPServer() async throws {
        let endpoint = try Endpoints.fresh()
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let server = try DemoProcess.python("""
            import socket, sys
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", int(sys.argv[1])))
            listener.listen(1)
            listener.settimeout(10)
            print("listening", flush=True)
            connection, _ = listener.accept()
            connection.settimeout(10)
            data = b""
            while not data.endswith(b"\\r\\n"):
                chunk = connection.recv(100)
                if not chunk:
                    break
                data += chunk
            print("got " + data.hex(), flush=True)
            connection.sendall(b"OK \\xff\\r\\n")
            connection.recv(100)
            """, [port], name: "tcp server")
        try await server.waitForOutput("listening")
        let zmqcat = try Zmqcat.start(
            ["stream", "--connect", endpoint, "--send", "GET /\r\n", "--count", "1", "--format", "hex"])
        try await server.waitForOutput("got ")
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines.count == 1, "\(result.lines)")
        #expect(result.lines.first.map { $0.hasSuffix(" 4f4b20ff0d0a") && !$0.hasPrefix("- ") } == true, "\(result.lines)")
        let (served, _) = try await server.stop()
        #expect(served.lines.contains("got " + hexString(utf8("GET /\r\n"))), "\(served.lines)")
    }
}
