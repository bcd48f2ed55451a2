// The tests' own child processes (Tests/ChildProcesses): what every demo, zmqcat and peer test
// relies on to see a child end and read all its output, with many started in parallel.

import ChildProcesses
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Child processes of the tests")
struct ChildProcessTests {
    @Test("A child gets its three standard streams and no other descriptor of the test process")
    func onlyStandardStreams() async throws {
        // An inheritable descriptor, as code outside our control may leave one.
        let leaky = open("/dev/null", O_RDONLY)
        try #require(leaky >= 0)
        defer { close(leaky) }
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"])
        let ended = try #require(try await child.exit(within: .seconds(20)))
        try await child.waitForEndOfOutput(until: .now + .seconds(5))
        #expect(ended.status == 0 && !ended.signaled)
        let descriptors = String(decoding: child.standardOutput, as: UTF8.self).split(separator: "\n")
        #expect(descriptors.sorted() == ["0", "1", "2"], "the child had \(descriptors)")
    }

    @Test("A child's end and its output's end are seen at once, while siblings started at the same moment live on")
    func endSeenDespiteSiblings() async throws {
        // Each task starts a long-lived sibling and a short child together; a sibling that
        // inherited a short child's pipe or exit-detection descriptor would hide its end until
        // the sibling is killed (Foundation's Process did, now and then). The times compared
        // are those the waiting and reading threads recorded, so a busy test pool, which may
        // resume this task late, does not count.
        let results = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for index in 0..<12 {
                group.addTask {
                    let sibling = try ChildProcess(executable: "/bin/sleep", arguments: ["300"])
                    defer { sibling.send(SIGKILL) }
                    let start = ContinuousClock.now
                    let child = try ChildProcess(executable: "/bin/echo", arguments: ["child \(index)"])
                    guard let ended = try await child.exit(within: .seconds(60)) else { return nil }
                    try await child.waitForEndOfOutput(until: .now + .seconds(60))
                    #expect(String(decoding: child.standardOutput, as: UTF8.self) == "child \(index)\n")
                    return child.endOfOutput.map { max($0, ended.instant) - start }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 12)
        for took in results {
            let took = try #require(took, "a child's end or end of output was not seen within 60 s")
            #expect(took < .seconds(5), "a child's end or end of output came \(took) after it started")
        }
    }

    @Test("Exit statuses and signals are reported as they are")
    func statuses() async throws {
        let exits = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 3"])
        let exited = try #require(try await exits.exit(within: .seconds(20)))
        #expect(exited.status == 3 && !exited.signaled)

        let sleeper = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        sleeper.send(SIGKILL)
        let killed = try #require(try await sleeper.exit(within: .seconds(20)))
        #expect(killed.status == SIGKILL && killed.signaled)
        #expect(!sleeper.isRunning)
    }

    @Test("A missing program is a thrown error that names it")
    func missingProgram() {
        #expect {
            _ = try ChildProcess(executable: "/nonexistent/program", arguments: [])
        } throws: { error in
            "\(error)".contains("/nonexistent/program")
        }
    }

    @Test("Writing to the standard input of a child that has exited throws, and does not raise SIGPIPE")
    func writeAfterExit() async throws {
        let child = try ChildProcess(executable: "/bin/true", arguments: [], standardInput: .pipe)
        _ = try #require(try await child.exit(within: .seconds(20)))
        #expect(throws: ChildProcessError.self) {
            try child.writeToStandardInput(Array(repeating: 0x61, count: 1 << 20))
        }
    }

    @Test("A child reads what the test writes to its standard input, up to its end")
    func standardInputPipe() async throws {
        let child = try ChildProcess(executable: "/bin/cat", arguments: [], standardInput: .pipe)
        try child.writeToStandardInput(Array("one\ntwo\n".utf8))
        child.closeStandardInput()
        let ended = try #require(try await child.exit(within: .seconds(20)))
        try await child.waitForEndOfOutput(until: .now + .seconds(5))
        #expect(ended.status == 0 && !ended.signaled)
        #expect(child.standardOutput == Array("one\ntwo\n".utf8))
    }
}
