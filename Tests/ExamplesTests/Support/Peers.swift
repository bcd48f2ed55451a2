// The independent peers the interoperability tests talk to: pyzmq (its own bundled libzmq)
// and C programs compiled against the system libzmq. Whether they are here, and whether they
// must be, is `PeerPrograms`'s to say (in the ChildProcesses target, shared with the library
// tests).

import ChildProcesses
import Foundation
import Testing

/// The conditions of the tests that need a peer.
enum Peers {
    /// Runs a test only where pyzmq is installed, or always when peers are required.
    static let pyzmq: ConditionTrait = .enabled(
        if: PeerPrograms.hasPyZMQ || PeerPrograms.required,
        "pyzmq is not installed; run `pip install pyzmq` to test against it")

    /// Runs a test only where pyzmq has CURVE, or always when peers are required.
    static let pyzmqCurve: ConditionTrait = .enabled(
        if: PeerPrograms.hasPyZMQCurve || PeerPrograms.required,
        "pyzmq with CURVE is not installed; run `pip install pyzmq` to test against it")

    /// Runs a test only where a C compiler is on `PATH`, or always when peers are required.
    static let cCompiler: ConditionTrait = .enabled(
        if: PeerPrograms.cCompiler != nil || PeerPrograms.required,
        "no C compiler (cc) on PATH: cannot build the C peers")
}

extension DemoProcess {
    /// Starts `python3 -c script arguments…` with its output captured, like a demo.
    ///
    /// - Parameters:
    ///   - script: The Python program; it usually imports `zmq`.
    ///   - arguments: What the script finds in `sys.argv[1...]`.
    ///   - name: What messages call it.
    ///   - standardInput: Whether to give it a pipe on standard input.
    static func python(
        _ script: String, _ arguments: [String] = [], name: String = "python", standardInput: Bool = false
    ) throws -> DemoProcess {
        try DemoProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"), name: name,
            ["python3", "-u", "-c", script] + arguments, standardInput: standardInput)
    }
}
