// async-echo-server: the reply side of request/reply, serving requests concurrently.
//
// One ROUTER socket answers each request, from REQ or DEALER peers, with exactly the frames
// it received. Each request is handled in a child task that first waits --delay-ms, so slow
// requests don't queue behind one another: 200 clients with --delay-ms 200 are all answered
// in about 0.2 s, not 40 s. The socket stays with one task, which receives the requests and
// sends the replies the handlers queue (`Socket.serve`).
//
// It runs the way a Swift service does: a swift-service-lifecycle `Service` in a
// `ServiceGroup`, which turns SIGTERM and SIGINT into a graceful shutdown.
//
//     async-echo-server --bind tcp://*:5555 --delay-ms 200
//     echo-client --connect tcp://127.0.0.1:5555        # or any REQ or DEALER peer

import ArgumentParser
import ExampleSupport
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import ZeroMQ

@main
struct AsyncEchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "async-echo-server",
        abstract: "Answer each request with the same frames, many requests at once (a ROUTER socket).",
        discussion: """
            Each request, from a REQ or DEALER peer, is handled in a task of its own that \
            waits --delay-ms and then sends back exactly the frames it received, so requests \
            are answered concurrently: one slow request doesn't hold up the others.

            Standard output carries only the final "served <k> requests" line, printed after \
            --count requests have been answered, or on SIGINT or SIGTERM (a graceful \
            shutdown); the exit status is 0 either way. The "bound to" status line goes to \
            standard error.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5555.", valueName: "endpoint"))
    var bind: String

    @Option(help: "Stop after answering this many requests (default: run until interrupted).")
    var count: Int?

    @Option(name: .customLong("delay-ms"),
            help: ArgumentHelp("How long each request waits before its reply, in milliseconds.",
                               valueName: "milliseconds"))
    var delayMilliseconds: Int = 0

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if delayMilliseconds < 0 { throw ValidationError("--delay-ms must not be negative.") }
    }

    func run() async throws {
        Console.lineBufferStandardOutput()
        let context: Context
        do {
            context = try Context()
        } catch {
            Console.error("error: cannot create a ZeroMQ context: \(error)")
            throw ExitCode.failure
        }
        let served: Int
        do {
            served = try await serve(in: context)
        } catch {
            context.terminate()
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        print("served \(served) requests")
        // The socket is closed by now. Terminating the context waits, up to the socket's
        // linger period (one second), for replies still queued: the last one of --count, say.
        context.terminate()
    }

    /// Binds the socket and runs the echo service in a service group until it stops.
    ///
    /// - Parameter context: The context to make the socket in.
    /// - Returns: How many requests were answered.
    /// - Throws: A ``DemoError`` when the endpoint can't be bound; what serving throws.
    private func serve(in context: Context) async throws -> Int {
        let socket = try RouterSocket(context: context)
        let bound = try attempt("bind to '\(bind)'") { () throws(ZMQError) in try socket.bind(to: bind) }
        let service = EchoService(
            socket: socket, endpoint: bound.endpoint,
            delay: .milliseconds(delayMilliseconds), limit: count)
        // The service returns once --count requests are answered: a normal end, after which
        // the group shuts down gracefully (by default a service that returns is an error).
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Self.logger))
        try await group.run()
        return service.servedCount
    }

    /// The service group's logger: standard error, and only what goes wrong, so that standard
    /// output carries nothing but the "served" line.
    static let logger: Logger = {
        var logger = Logger(label: "async-echo-server", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }()
}

/// The echo server as a swift-service-lifecycle service: `run()` serves the socket until
/// `--count` requests are answered or the group shuts down gracefully.
final class EchoService: Service {
    /// The socket, bound by `main` so that a bad endpoint is reported before serving starts,
    /// and taken by `run()`.
    private let socket: Mutex<RouterSocket?>
    /// The endpoint the socket is bound to, for the status line.
    private let endpoint: String
    /// How long each handler waits before replying.
    private let delay: Duration
    /// How many requests to answer before stopping, if there is a limit.
    private let limit: Int?
    /// The replies handed to the socket's writer.
    private let served = Atomic<Int>(0)
    /// The replies handlers have claimed under `limit`, so that no more than `limit` go out.
    private let claimed = Atomic<Int>(0)

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - socket: The bound ROUTER socket to serve.
    ///   - endpoint: The endpoint it is bound to.
    ///   - delay: How long each request waits before its reply.
    ///   - limit: How many requests to answer before stopping, or `nil` for no limit.
    init(socket: consuming sending RouterSocket, endpoint: String, delay: Duration, limit: Int?) {
        self.socket = Mutex(Optional(socket))
        self.endpoint = endpoint
        self.delay = delay
        self.limit = limit
    }

    /// The number of requests answered: replies handed to the socket's writer.
    var servedCount: Int { served.load(ordering: .acquiring) }

    /// Serves the socket until `--count` requests are answered, the group shuts down
    /// gracefully (SIGTERM, SIGINT), or the task is cancelled.
    ///
    /// Stopping cancels `serve`, which cancels the handlers still waiting, sends the replies
    /// already queued, and returns; the socket then closes and lingers to deliver them.
    func run() async throws {
        guard let socket = self.socket.withLock({ $0.take() }) else {
            throw DemoError("the echo service can run only once")
        }
        // The service group watches for SIGTERM and SIGINT before it runs its services, so
        // once this line is out a signal stops the server gracefully.
        Console.error("async-echo-server: bound to \(endpoint)")
        let (stopRequests, stop) = AsyncStream.makeStream(of: Void.self)
        // The socket moves into the task that serves it; this task waits for a reason to stop.
        let serving = Task { [socket = consume socket] in
            // Should serving end by itself (an error), stop waiting for a reason to stop.
            defer { stop.finish() }
            try await socket.serve { request, replies in
                try await self.answer(request, through: replies, stop: stop)
            }
        }
        // Wait until the limit is reached, serving ends, the group shuts down gracefully
        // (SIGTERM, SIGINT), or this task is cancelled.
        await withTaskCancellationOrGracefulShutdownHandler {
            for await _ in stopRequests {}
        } onCancelOrGracefulShutdown: {
            stop.finish()
        }
        serving.cancel()
        do {
            try await serving.value
        } catch is CancellationError {
            // Serving stopped because it was told to.
        }
    }

    /// Handles one request: waits, then sends it back as it came, routing id and all.
    private func answer(
        _ request: consuming Multipart,
        through replies: OutboundWriter,
        stop: AsyncStream<Void>.Continuation
    ) async throws {
        if delay > .zero { try await Task.sleep(for: delay) }
        if let limit {
            // Past the limit the server is stopping: leave the request unanswered.
            let claim = claimed.wrappingAdd(1, ordering: .relaxed).newValue
            guard claim <= limit else { return }
        }
        try await replies.send(request)
        let total = served.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if total == limit { stop.finish() }
    }
}
