// Two zmqcat paths that once hung, driven by zmqcat on both ends (no pyzmq needed). The full
// suite is Tests/ExamplesTests/Zmqcat/.

import Foundation
import Testing

@Suite("zmqcat smoke tests", .timeLimit(.minutes(1)))
struct ZmqcatSmokeTests {
    /// `push --stdin` reads all of a short input (and its end) while it still waits for its
    /// peer; every line must still go out once the peer is there, the last one without a
    /// newline too. (It used to send one line per wake-up, and stop when nothing woke it.)
    @Test("push --stdin sends every line, the unterminated last one too, of an input that ended early")
    func pushSendsLinesReadBeforeItsPeer() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = demoBinaryFolder.appendingPathComponent("zmqcat").path
        let pull = try DemoProcess("zmqcat", ["pull", "--bind", endpoint, "--count", "3", "--format", "quoted"])
        let push = try DemoProcess(
            executable: URL(fileURLWithPath: "/bin/sh"), name: "printf | zmqcat push",
            ["-c", #"printf 'a|b\nc||\nlast' | "$0" push --connect "$1" --stdin --delimiter '|'"#, zmqcat, endpoint])
        let pushed = try await push.finish()
        #expect(pushed.exitedCleanly, "\(pushed.standardError)")
        let pulled = try await pull.finish()
        #expect(pulled.exitedCleanly, "\(pulled.standardError)")
        #expect(pulled.lines == [#""a" "b""#, #""c" "" """#, #""last""#])
    }

    /// `rep --stdin` takes each reply from its input; when the input ends while a request
    /// waits for its reply, it ends (status 0) rather than waiting for ever.
    @Test("rep --stdin ends with its input, even with a request left unanswered")
    func repEndsWithItsInput() async throws {
        let endpoint = try Endpoints.fresh()
        // Standard input is /dev/null: empty.
        let rep = try DemoProcess("zmqcat", ["rep", "--bind", endpoint, "--stdin"])
        let request = try await DemoProcess.run(
            "zmqcat", ["req", "--connect", endpoint, "--send", "question", "--timeout-ms", "1000"])
        #expect(request.status == 1 && !request.signaled)
        #expect(request.errorLines.last == "error: no reply within 1000 ms")
        let replier = try await rep.finish()
        #expect(replier.exitedCleanly, "\(replier.standardError)")
        #expect(replier.lines == ["question"])
    }
}
