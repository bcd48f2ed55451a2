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
        let context = try Context()
        defer { context.shutdown() }  // also wakes the server's blocked receive

        // The server: a REP socket made on its own thread, answering until shutdown.
        Thread.detachNewThread {
            do {
                let server = try ReplySocket(context: context)
                try server.bind(to: "inproc://greeter")
                while let name = try server.receiveString() {
                    try server.send("Hello, \(name)!")
                }
            } catch .contextTerminated {
                // The context was shut down: stop serving.
            } catch {
                print("Server failed: \(error)")
            }
        }

        // The client: a REQ socket that gives up after five seconds without a reply.
        let client = try RequestSocket(context: context)
        try client.setOption(.receiveTimeout, .seconds(5))
        try client.connect(to: "inproc://greeter")
        try client.send("World")
        let reply = try client.receiveString()
        print(reply ?? "no reply")  // Hello, World!
        // README-EXAMPLE-END

        #expect(reply == "Hello, World!")
    }
}
