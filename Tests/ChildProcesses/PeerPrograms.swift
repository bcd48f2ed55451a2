public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The other programs the tests start and talk to, and whether this machine has them: pyzmq
/// (its own bundled libzmq) and a C compiler for the C peers. Both test targets run in one
/// process, so each probe runs once for both.
///
/// On a developer's machine a missing peer skips the tests that need it, and says why. In CI
/// (`ZEROMQ_REQUIRE_PEERS=1`, set by `.ci/run` and `make interop`) a missing peer is a
/// failure: the tests run anyway, and fail when they cannot start it.
public enum PeerPrograms {
    /// Whether every peer must be present (`ZEROMQ_REQUIRE_PEERS=1`, as in CI).
    public static let required = ProcessInfo.processInfo.environment["ZEROMQ_REQUIRE_PEERS"] == "1"

    /// Whether `python3` can import pyzmq.
    public static let hasPyZMQ: Bool = pythonSucceeds("import zmq")

    /// Whether pyzmq's libzmq supports CURVE.
    public static let hasPyZMQCurve: Bool =
        hasPyZMQ && pythonSucceeds("import sys, zmq; sys.exit(0 if zmq.has('curve') else 1)")

    /// `cc` on the `PATH`, if there is one.
    public static let cCompiler: URL? = onPath("cc")

    /// The first executable called `name` in the folders of `$PATH` (`/usr/bin:/bin` when it
    /// is unset), if any.
    public static func onPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0), isDirectory: true).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Whether `python3 -c script` exits with status 0 within 30 seconds.
    private static func pythonSucceeds(_ script: String) -> Bool {
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
