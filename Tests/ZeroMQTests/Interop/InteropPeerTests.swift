import Foundation
import Testing
import ZeroMQ

// The peers themselves: each starts, and fails loudly (a usage error, a timeout) rather than
// exiting 0 whatever happens, which would let the interoperability tests pass without
// checking anything. Where a peer is missing, its test here is skipped with the reason (the
// other suites then leave it out of their arguments), unless peers are required (CI).

@Suite("Interop: the peers run and fail loudly")
struct InteropPeerTests {
    @Test("pyzmq runs zmqpeer, with a libzmq of its own", PythonPeer.condition)
    func pyzmqPeer() throws {
        let versions = try PythonPeer(script: "import zmq; print(zmq.pyzmq_version(), zmq.zmq_version())", arguments: [])
        let printed = versions.expectSuccess()
        #expect(printed.split(separator: " ").count == 2, "pyzmq printed \(printed)")
        try expectLoudFailures(.pyzmq)
    }

    @Test("zmqpeer.c compiles against the system libzmq and runs", CPeer.condition)
    func cPeer() throws {
        let binary = try CPeer.binary()
        #expect(FileManager.default.isExecutableFile(atPath: binary.path))
        try expectLoudFailures(.c)
    }

    /// A usage error exits 2, a receive that times out exits 1, each with a reason.
    private func expectLoudFailures(_ peer: InteropPeer) throws {
        let usage = try peer.start(["nonsense", "bind", "tcp://127.0.0.1:*"]).finish()
        #expect(usage.status == 2 && usage.errors.contains("zmqpeer"), "\(peer): \(usage)")
        let badHex = try peer.start(["push", "bind", "tcp://127.0.0.1:*", "send", "zz"]).finish()
        #expect(badHex.status == 2, "\(peer): \(badHex)")
        let timeout = try peer.start(["--timeout", "200", "pull", "bind", "tcp://127.0.0.1:*", "recv", "1"]).finish()
        #expect(timeout.status == 1 && timeout.errors.contains("timed out"), "\(peer): \(timeout)")
        #expect(timeout.output.isEmpty)
    }
}
