// What the DemoInterop suites share: who fills a role, the transports, the Guide's C
// programs started as peers, and the checks on what a peer leaves on its output streams.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The language of the program filling one role of a mixed test.
enum PeerLanguage: String, Sendable {
    /// Our demo.
    case swift = "Swift"
    /// A pyzmq script (pyzmq bundles its own libzmq).
    case python = "Python"
    /// One of the Guide's C programs in `Examples/GuideC`, against the system libzmq.
    case c = "C"
}

/// How the programs of one test reach each other.
enum InteropTransport: String, Sendable, CaseIterable {
    case tcp, ipc

    /// A fresh endpoint that nothing is bound to: a reserved loopback port, or a socket
    /// file in this test process's temporary folder.
    ///
    /// - Parameter name: Part of the socket file's name, for `ipc`.
    func fresh(_ name: String) throws -> String {
        switch self {
        case .tcp: try Endpoints.fresh()
        case .ipc: IPCEndpoints.fresh("interop-\(name)")
        }
    }
}

/// Three roles, each filled by our demo or by a peer in one other language, in every
/// combination.
struct RoleMix: Sendable, CustomTestStringConvertible {
    /// The roles' names, such as "client", "broker", "worker".
    let roles: [String]
    /// Who fills each role, in the order of `roles`.
    let languages: [PeerLanguage]
    /// The transport the test runs over.
    let transport: InteropTransport

    var testDescription: String {
        zip(languages, roles).map { "\($0.rawValue) \($1)" }.joined(separator: ", ") + " over \(transport)"
    }

    /// The 8 ways of filling three roles with ours and `other`, each over one transport:
    /// tcp when an even number of roles is `other`'s, ipc otherwise. So both transports are
    /// covered without running every mix twice, and each role is `other`'s twice over tcp
    /// and twice over ipc.
    static func all(_ roles: [String], with other: PeerLanguage) -> [RoleMix] {
        [PeerLanguage.swift, other].flatMap { first in
            [PeerLanguage.swift, other].flatMap { second in
                [PeerLanguage.swift, other].map { third in [first, second, third] }
            }
        }.map { languages in
            let others = languages.filter { $0 == other }.count
            return RoleMix(roles: roles, languages: languages, transport: others.isMultiple(of: 2) ? .tcp : .ipc)
        }
    }
}

extension GuideC {
    /// Starts one of the Guide's C programs, compiling them first if need be.
    ///
    /// - Parameters:
    ///   - program: Its name, such as `rrworker`.
    ///   - arguments: Its command-line arguments.
    ///   - lineBuffered: Whether to run it under `stdbuf -oL`. A Guide program that runs
    ///     until it is killed and never calls `fflush` (rrworker.c) would otherwise lose
    ///     what it printed to a pipe in stdio's buffer, since a signal kills it.
    static func start(_ program: String, _ arguments: [String], lineBuffered: Bool = false) async throws -> DemoProcess {
        let executable = try await binaries().appendingPathComponent(program)
        if lineBuffered {
            return try DemoProcess(
                executable: URL(fileURLWithPath: "/usr/bin/env"), name: "\(program).c",
                ["stdbuf", "-oL", executable.path] + arguments)
        }
        return try DemoProcess(executable: executable, name: "\(program).c", arguments)
    }
}

/// Checks of what a finished peer left behind.
enum PeerChecks {
    /// Expects a clean exit (status 0) with status lines only on stderr, each starting with
    /// `prefix` (such as `pipeline-sink: `): no error, no traceback.
    static func expectCleanExit(
        _ result: DemoResult, of name: String, statusPrefix prefix: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.exitedCleanly, "\(name) ended with \(describe(result))", sourceLocation: sourceLocation)
        expectStatusLines(result, of: name, statusPrefix: prefix, sourceLocation: sourceLocation)
    }

    /// Expects that a program that runs until it is killed (the Guide's C programs, the
    /// pyzmq scripts) died of SIGTERM, with status lines only on stderr, each starting with
    /// `prefix`; `nil` means nothing at all on stderr.
    static func expectKilledBySIGTERM(
        _ result: DemoResult, of name: String, statusPrefix prefix: String?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.signaled && result.status == SIGTERM, "\(name) ended with \(describe(result))",
                sourceLocation: sourceLocation)
        if let prefix {
            expectStatusLines(result, of: name, statusPrefix: prefix, sourceLocation: sourceLocation)
        } else {
            #expect(result.standardError.isEmpty, "\(name) stderr: \(result.standardError)",
                    sourceLocation: sourceLocation)
        }
    }

    private static func expectStatusLines(
        _ result: DemoResult, of name: String, statusPrefix prefix: String, sourceLocation: SourceLocation
    ) {
        #expect(!result.errorLines.isEmpty, "\(name) printed no status line", sourceLocation: sourceLocation)
        #expect(result.errorLines.allSatisfy { $0.hasPrefix(prefix) },
                "\(name) stderr: \(result.standardError)", sourceLocation: sourceLocation)
    }

    static func describe(_ result: DemoResult) -> String {
        (result.signaled ? "signal \(result.status)" : "status \(result.status)")
            + "; stdout: \(result.standardOutput.debugDescription), stderr: \(result.standardError.debugDescription)"
    }
}

/// Waits until `condition` holds, checking every 10 ms.
///
/// - Throws: An error saying `what` did not happen if it does not within `timeout`.
func waitForCondition(
    _ what: String, within timeout: Duration = processTimeout, _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw DemoTestError("\(what) did not happen within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
