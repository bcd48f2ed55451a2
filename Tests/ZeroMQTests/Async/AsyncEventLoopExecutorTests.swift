import Foundation
import Testing
import ZeroMQ

@Suite("The event thread as a task executor")
struct AsyncEventLoopExecutorTests {
    /// The name of the thread the caller runs on.
    static func currentThreadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    @Test("a task that prefers the executor runs on the event thread, and its waits work there",
          arguments: Transport.allCases)
    func echoOnTheEventThread(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let executor = try AsyncEventLoopExecutor.shared()
        let server = try ReplySocket(context: context)
        let endpoint = try server.bind(to: transport.bindEndpoint()).endpoint
        let serving = Task(executorPreference: executor) { [server = consume server] in
            #expect(Self.currentThreadName() == "zmq-async")
            var request = Message()
            for _ in 0..<200 {
                guard try await server.receive(into: &request) else { return }
                #expect(Self.currentThreadName() == "zmq-async")
                try await server.send(&request)
            }
        }
        try await withTaskExecutorPreference(executor) {
            let client = try RequestSocket(context: context)
            try client.setOption(.receiveTimeout, .seconds(5))
            try client.connect(to: endpoint)
            for index in 0..<200 {
                try await client.send("ping \(index)")
                #expect(try await client.receiveString() == "ping \(index)")
            }
        }
        try await serving.value
    }

    @Test("cancelling a receive waiting on the event thread ends it; shutdown wakes the others")
    func cancellationAndShutdownOnTheEventThread() async throws {
        let context = try Context(defaultLinger: .zero)
        let executor = try AsyncEventLoopExecutor.shared()
        let waiting = Task(executorPreference: executor) {
            let pull = try PullSocket(context: context)
            try pull.bind(to: Transport.inproc.bindEndpoint())
            return try await pull.receiveString()
        }
        let others = (0..<10).map { _ in
            Task(executorPreference: executor) {
                let pull = try PullSocket(context: context)
                try pull.bind(to: Transport.inproc.bindEndpoint())
                return try await pull.receiveString()
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        context.shutdown()
        for other in others {
            await #expect(throws: ZMQError.contextTerminated) { try await other.value }
        }
    }
}
