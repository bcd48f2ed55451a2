import Foundation
import Testing
import ZeroMQ

// Our STREAM socket against plain TCP, no ZeroMQ on the other end: Python's `socket` module as
// a client of our STREAM server, and as a server our STREAM socket connects to. (Against
// pyzmq's and zmqpeer.c's STREAM sockets, see `InteropPatternTests.stream`.)

@Suite("Interop: our STREAM socket with plain TCP peers in Python", PythonPeer.condition)
struct InteropStreamTests {
    @Test("A plain TCP client talks to our STREAM server, which then closes the connection")
    func plainClientOfOurStreamServer() throws {
        let context = try Context()
        let server = try interopSocket(SocketType.Stream.self, context: context)
        let endpoint = try server.bind(to: "tcp://127.0.0.1:*").endpoint
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let client = try PythonPeer(script: #"""
            import socket, sys
            connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            connection.sendall(b"hello stream\x00\xff\n")
            received = b""
            while True:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                received += chunk
            print(received.hex())
            print("closed by the server")
            """#, arguments: [port])

        // First the connection's notification: its routing id and no data.
        let hello = try #require(try server.receiveMultipart())
        try #require(hello.count == 2 && hello[1].isEmpty, "got \(hello)")
        let connection = hello[0]
        let expected = Array("hello stream".utf8) + [0x00, 0xff, 0x0a]
        var data: [UInt8] = []
        while data.count < expected.count {
            let chunk = try #require(try server.receiveMultipart())
            try #require(chunk.count == 2 && chunk[0] == connection, "got \(chunk)")
            data += chunk[1]
        }
        #expect(data == expected)
        try server.send(multipart: [connection, Array("reply:".utf8) + data])
        // An empty frame to a connection closes it.
        try server.send(multipart: [connection, []])
        try keepBusy(server, until: client)
        let lines = client.expectSuccessLines()
        #expect(lines == [hex(Array("reply:".utf8) + expected), "closed by the server"])
    }

    @Test("Our STREAM socket connects to a plain TCP server, talks, and closes the connection")
    func ourStreamClientOfPlainServer() throws {
        let server = try PythonPeer(script: #"""
            import socket, sys
            listener = socket.create_server(("127.0.0.1", 0))
            listener.settimeout(10)
            sys.stderr.write("bound tcp://127.0.0.1:%d\n" % listener.getsockname()[1])
            sys.stderr.flush()
            connection, _ = listener.accept()
            connection.settimeout(10)
            received = b""
            while not received.endswith(b"\n"):
                chunk = connection.recv(4096)
                if not chunk:
                    sys.exit("the client closed early")
                received += chunk
            connection.sendall(received.upper())
            if connection.recv(4096) != b"":
                sys.exit("expected the client to close")
            print("got", received.hex())
            print("closed by the client")
            """#, arguments: [])
        let context = try Context()
        let client = try interopSocket(SocketType.Stream.self, context: context)
        try client.connect(to: server.boundEndpoint())
        let hello = try #require(try client.receiveMultipart())
        try #require(hello.count == 2 && hello[1].isEmpty, "got \(hello)")
        let connection = hello[0]
        let request = Array("hello server \u{0}\n".utf8)
        try client.send(multipart: [connection, request])
        var reply: [UInt8] = []
        while !reply.hasSuffix([0x0a]) {
            let chunk = try #require(try client.receiveMultipart())
            try #require(chunk.count == 2 && chunk[0] == connection, "got \(chunk)")
            reply += chunk[1]
        }
        #expect(reply == Array("HELLO SERVER \u{0}\n".utf8))
        try client.send(multipart: [connection, []])
        try keepBusy(client, until: server)
        #expect(server.expectSuccessLines() == ["got \(hex(request))", "closed by the client"])
    }
}

/// Receives on `socket` until `peer` exits: libzmq carries out a STREAM socket's request to
/// close a connection (an empty frame) while the socket processes commands, as it does when
/// receiving.
private func keepBusy(_ socket: borrowing StreamSocket, until peer: PeerProcess) throws {
    try socket.setOption(.receiveTimeout, .milliseconds(20))
    let exited = try waitUntil(timeout: InteropTests.peerTimeout) {
        _ = try socket.receiveMultipart()
        return !peer.isRunning
    }
    #expect(exited, "\(peer.name) did not see the connection close: \(peer.errors)")
}

extension Array where Element == UInt8 {
    /// Whether the bytes end with `suffix`.
    fileprivate func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
