// The independent peers the interoperability tests talk to: pyzmq (its own bundled libzmq)
// and C programs compiled against the system libzmq.
//
// On a developer's machine a missing peer skips the tests that need it, and says why. In CI
// (`ZEROMQ_REQUIRE_PEERS=1`, set by `.ci/run`) a missing peer is a failure: the tests run
// anyway and fail when they cannot start it.

import ChildProcesses
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Peers {
    /// Whether every peer must be present (`ZEROMQ_REQUIRE_PEERS=1`, as in CI).
    static let required = ProcessInfo.processInfo.environment["ZEROMQ_REQUIRE_PEERS"] == "1"

    /// Whether `python3` can import pyzmq.
    static let hasPyZMQ: Bool = succeeds("import zmq")

    /// Whether pyzmq's libzmq supports CURVE.
    static let hasPyZMQCurve: Bool = succeeds("import sys, zmq; sys.exit(0 if zmq.has('curve') else 1)")

    /// Runs a test only where pyzmq is installed, or always when peers are required.
    static let pyzmq: ConditionTrait = .enabled(
        if: hasPyZMQ || required,
        "pyzmq is not installed; run `pip install pyzmq` to test against it")

    /// Runs a test only where pyzmq has CURVE, or always when peers are required.
    static let pyzmqCurve: ConditionTrait = .enabled(
        if: (hasPyZMQ && hasPyZMQCurve) || required,
        "pyzmq with CURVE is not installed; run `pip install pyzmq` to test against it")

    /// Runs a test only where a C compiler is on `PATH`, or always when peers are required.
    static let cCompiler: ConditionTrait = .enabled(
        if: GuideC.compiler != nil || required,
        "no C compiler (cc) on PATH: cannot build the C peers")

    private static func succeeds(_ script: String) -> Bool {
        guard let python = try? ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", "-c", script],
            standardOutput: .nullDevice, standardError: .nullDevice)
        else { return false }
        guard let ended = python.waitForExit(timeout: .seconds(30)) else {
            python.send(SIGKILL)
            return false
        }
        return !ended.signaled && ended.status == 0
    }
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
