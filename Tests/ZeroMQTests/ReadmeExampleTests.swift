import Foundation
import Testing
import ZeroMQ

/// The REQ/REP example from README.md, kept here so that it always compiles and works.
/// Copy the lines between the markers into the README verbatim.
@Suite("README example")
struct ReadmeExampleTests {
    @Test("The README's request-reply example runs as shown")
    func requestReply() throws {
        // README-EXAMPLE-BEGIN
        /// A REP server bound on an ephemeral port, answering on a thread of its own.
        func startGreeter(context: Context) throws(ZMQError) -> (BoundEndpoint, SocketThread<Void, ZMQError>) {
            let server = try ReplySocket(context: context)
            let bound = try server.bind(to: "tcp://127.0.0.1:*")   // fails here, not on the thread
            let thread = try SocketThread(name: "greeter") { [server = consume server] () throws(ZMQError) in
                while let name = try server.receiveString() {
                    try server.send("Hello, \(name)!")
                }
            }
            return (bound, thread)
        }

        let context = try Context()
        let (bound, greeter) = try startGreeter(context: context)

        // The client: a REQ socket that gives up after five seconds without a reply.
        let client = try RequestSocket(context: context)
        try client.setOption(.receiveTimeout, .seconds(5))
        try client.connect(to: bound.endpoint)
        try client.send("World")
        let reply = try client.receiveString()
        print(reply ?? "no reply")  // Hello, World!

        context.shutdown()                                  // wakes the server's blocked receive
        let outcome = greeter.join(timeout: .seconds(5))    // .failure(.contextTerminated)
        // README-EXAMPLE-END

        #expect(reply == "Hello, World!")
        #expect(throws: ZMQError.contextTerminated) { try outcome?.get() }
    }

    @Test("README.md shows this file's example verbatim")
    func readmeMatches() throws {
        let testFile = URL(fileURLWithPath: #filePath)
        let root = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: testFile, encoding: .utf8)
        let begin = try #require(source.range(of: "// README-EXAMPLE-BEGIN\n"))
        let end = try #require(source.range(of: "        // README-EXAMPLE-END"))
        let example = source[begin.upperBound..<end.lowerBound]
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? $0.dropFirst(8) : $0 }
            .joined(separator: "\n")
        #expect(readme.contains("```swift\nimport ZeroMQ\n\n" + example + "```"), "README.md's example differs from this test's")
    }
}
