import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

// What the compiler rejects (checked with Swift 6.3.1, not testable at run time): using a
// socket after handing it to a SocketThread,
//
//     let router = try RouterSocket(context: context)
//     let thread = try SocketThread { _ = try? router.receiveString() }
//     try router.bind(to: "inproc://x")
//
// fails with "sending value of non-Sendable type '() -> ()' risks causing data races" (the
// closure's type: '() throws(ZMQError) -> Int' for such a closure), and with a capture list
// `[router = consume router]` also with "'router' used after consume". Handing a socket to
// Foundation's `Thread { … }` fails outright, since that closure is `@Sendable`.

@Suite("SocketThread")
struct SocketThreadTests {
    @Test("A socket bound on the test thread moves to a SocketThread and serves there", arguments: Transport.allCases)
    func boundSocketServesOnItsThread(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let router = try makeSocket(SocketType.Router.self, context: context)
        let endpoint = try bindResolved(router, on: transport)
        let requests = 6

        let server = try SocketThread(name: "test-router") { () throws(ZMQError) -> [String] in
            var seen: [String] = []
            var request = Multipart()
            while seen.count < requests {
                guard try router.receive(into: &request) else { continue }
                // [routing id, request]: answer on the same route.
                let text = request.string(at: 1)
                seen.append(text)
                try router.send(multipart: [request.bytes(at: 0), Array("served \(text)".utf8)])
            }
            return seen
        }

        var replies: [String] = []
        for client in 0..<3 {
            let dealer = try makeSocket(SocketType.Dealer.self, context: context)
            try dealer.connect(to: endpoint)
            for number in 0..<2 {
                try dealer.send("client \(client) request \(number)")
                replies.append(try dealer.receiveString() ?? "no reply")
            }
        }

        let served = try #require(server.join(timeout: testTimeout), "the server thread is still running")
        let expected = (0..<3).flatMap { client in (0..<2).map { "client \(client) request \($0)" } }
        #expect(try served.get() == expected)
        #expect(replies == expected.map { "served \($0)" })
        #expect(server.isFinished)
    }

    @Test("A socket handed over with a consume capture list serves on the thread")
    func consumeCaptureHandsOver() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let endpoint = try bindResolved(pull, on: .inproc)
        let receiver = try SocketThread { [pull = consume pull] () throws(ZMQError) -> [String] in
            var received: [String] = []
            while received.count < 3 {
                guard let text = try pull.receiveString() else { throw .wouldBlock }
                received.append(text)
            }
            return received
        }
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.connect(to: endpoint)
        for text in ["a", "b", "c"] { try push.send(text) }
        let received = try receiver.join()
        #expect(received == ["a", "b", "c"])
    }

    @Test("A ZMQError thrown on the thread comes back typed")
    func typedZMQErrorComesBack() throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())
        // No timeout: only the shutdown below can end this receive.
        let receiver = try SocketThread { () throws(ZMQError) -> String? in try pull.receiveString() }
        #expect(receiver.join(timeout: .milliseconds(50)) == nil, "the receive returned with nothing to receive")
        #expect(!receiver.isFinished)

        context.shutdown()
        do {
            _ = try receiver.join()
            Issue.record("join() returned normally")
        } catch {
            // `error` is statically a ZMQError: join() rethrows the closure's typed error.
            #expect(error == .contextTerminated)
        }
        #expect(receiver.isFinished)
    }

    @Test("Results and errors of any type come back through join(), join(timeout:) and value()")
    func resultsAndCustomErrorsComeBack() async throws {
        let succeeding = try SocketThread { () throws(Failure) -> Int in 42 }
        let failing = try SocketThread { () throws(Failure) -> Int in throw .failed(code: 7) }
        let plain = try SocketThread { "no throws" }

        #expect(try succeeding.join() == 42)
        #expect(try await succeeding.value() == 42)
        #expect(throws: Failure.failed(code: 7)) { try failing.join() }
        do {
            _ = try await failing.value()
            Issue.record("value returned normally")
        } catch {
            #expect(error == .failed(code: 7))
        }
        if case .failure(let error)? = failing.join(timeout: .zero) {
            #expect(error == .failed(code: 7))
        } else {
            Issue.record("join(timeout:) did not report the error")
        }
        // A closure that cannot throw gives a thread whose join() needs no `try`.
        #expect(plain.join() == "no throws")
        #expect(await plain.value() == "no throws")
    }

    @Test("Awaiting value() suspends the task instead of holding its thread")
    func awaitingDoesNotBlockTheExecutor() async throws {
        // Every task here runs on one executor thread of its own (so that tests blocking the
        // shared cooperative pool can't disturb this one): several tasks await threads that
        // wait for a gate, and a last task, queued behind them, opens it. If awaiting held the
        // executor's thread, the last task could not run until the threads gave up on the
        // gate, and they would report that they timed out.
        let executor = try SingleThreadExecutor()
        defer { executor.stop() }
        let gate = Flag()
        let threads = try (0..<4).map { _ in
            try SocketThread { () -> Bool in gate.wait(timeout: .seconds(5)) }
        }
        let opened = await withTaskGroup(of: Bool.self) { group -> [Bool] in
            for thread in threads {
                group.addTask(executorPreference: executor) { await thread.value() }
            }
            group.addTask(executorPreference: executor) {
                gate.set()
                return true
            }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(opened.count == threads.count + 1)
        #expect(opened.allSatisfy { $0 }, "the threads timed out waiting for the gate: awaiting blocked the executor")
    }

    @Test("join(timeout:) returns nil while the thread runs, and the outcome once it has ended")
    func boundedJoin() throws {
        let gate = Flag()
        let thread = try SocketThread { () -> Bool in gate.wait(timeout: testTimeout) }
        let start = ContinuousClock.now
        #expect(thread.join(timeout: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        #expect(!thread.isFinished)
        gate.set()
        let outcome = thread.join(timeout: testTimeout)
        #expect(outcome?.get() == true)
        #expect(thread.isFinished)
        // Any timeout is valid, the largest too.
        #expect(thread.join(timeout: .seconds(Int64.max))?.get() == true)
        #expect(thread.join(timeout: .seconds(-1))?.get() == true)
    }

    @Test("Everything the closure captured, sockets included, is released before join() returns")
    func capturesAreReleasedBeforeJoinReturns() throws {
        let context = try Context(defaultLinger: .zero)
        var token: Token? = Token()
        weak let observed = token
        let socket = try PushSocket(context: context)
        try socket.bind(to: Transport.inproc.bindEndpoint())
        // `consume` moves the socket into the closure outright; a plain capture would leave it
        // shared with this scope, and open until this function returns.
        let thread = try SocketThread { [token, socket = consume socket] in
            _ = token
            try? socket.setOption(.sendHighWaterMark, 10)
        }
        token = nil
        thread.join()
        #expect(thread.isFinished)
        #expect(observed == nil, "the closure was still alive after join()")
        // terminate() returns only once every socket of the context is closed.
        let terminator = try SocketThread { context.terminate() }
        #expect(terminator.join(timeout: testTimeout) != nil, "the socket the closure owned is still open")
    }

    #if os(Linux)
    @Test("The thread carries its name, cut to 15 bytes on Linux")
    func nameIsSet() throws {
        let named = try SocketThread(name: "zmq-test-name") { currentThreadName() }
        #expect(named.name == "zmq-test-name")
        #expect(named.join() == "zmq-test-name")

        let long = try SocketThread(name: "a-rather-long-thread-name") { currentThreadName() }
        #expect(long.name == "a-rather-long-thread-name")
        #expect(long.join() == "a-rather-long-t")

        // A multibyte character that would straddle the 15-byte limit is left out whole.
        let accented = try SocketThread(name: "zmq-caf\u{E9}-\u{E9}\u{E9}\u{E9}\u{E9}") { currentThreadName() }
        #expect(accented.join() == "zmq-caf\u{E9}-\u{E9}\u{E9}")

        let unnamed = try SocketThread { currentThreadName() }
        #expect(unnamed.name == nil)
        #expect(unnamed.join() != "zmq-test-name")
    }
    #endif

    @Test("A name with a NUL byte is refused, and the closure's sockets are closed")
    func nameWithNulIsRefused() throws {
        let context = try Context(defaultLinger: .zero)
        let socket = try PairSocket(context: context)
        let ran = Flag()
        do {
            _ = try SocketThread(name: "bad\0name") { [socket = consume socket] in
                ran.set()
                try? socket.setOption(.linger, .zero)
            }
            Issue.record("the thread started")
        } catch {
            #expect(error == .invalidArgument)
        }
        #expect(!ran.isSet)
        let terminator = try SocketThread { context.terminate() }
        #expect(terminator.join(timeout: testTimeout) != nil, "the refused closure's socket is still open")
    }

    // The mocking hook exists in debug builds only.
    #if DEBUG
    @Test("When no thread can be made, init throws .tooManyThreads and closes the closure's sockets")
    func threadCreationFailure() throws {
        let context = try Context(defaultLinger: .zero)
        let socket = try PushSocket(context: context)
        try socket.bind(to: Transport.inproc.bindEndpoint())
        let ran = Flag()
        // pthread_create's EAGAIN ("no resources for another thread"), injected.
        Mocking.failNextCalls(with: [.wouldBlock])
        defer { Mocking.reset() }
        do {
            _ = try SocketThread { [socket = consume socket] in
                ran.set()
                _ = try? socket.send("never sent")
            }
            Issue.record("the thread started")
        } catch {
            #expect(error == .tooManyThreads)
        }
        #expect(!ran.isSet)
        let terminator = try SocketThread { context.terminate() }
        #expect(terminator.join(timeout: testTimeout) != nil, "the unrun closure's socket is still open")
    }
    #endif
}

// MARK: - Helpers

private enum Failure: Error, Equatable {
    case failed(code: Int)
}

private final class Token: Sendable {}

/// A flag one thread sets and others read or wait for.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Waits until the flag is set or `timeout` passes.
    ///
    /// - Returns: Whether the flag was set in time.
    func wait(timeout: Duration) -> Bool {
        waitUntil(timeout: timeout) { isSet }
    }
}

/// A task executor with one thread, which runs jobs in the order they are enqueued.
private final class SingleThreadExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let isStopped = Atomic<Bool>(false)
    private let thread = Mutex<SocketThread<Void, Never>?>(nil)

    init() throws {
        // The loop runs jobs on `self`, so it starts once `self` is initialized; `stop()`
        // ends it before `self` can go away.
        let loop = try SocketThread(name: "test-executor") { [unowned self] in self.run() }
        thread.withLock { $0 = loop }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
    }

    /// Ends the thread once it has run the jobs it has, and waits for it.
    func stop() {
        isStopped.store(true, ordering: .releasing)
        thread.withLock { $0 }?.join()
    }

    private func run() {
        while !isStopped.load(ordering: .acquiring) {
            let batch = jobs.withLock { queue in
                defer { queue.removeAll() }
                return queue
            }
            if batch.isEmpty {
                usleep(100)
                continue
            }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}

#if os(Linux)
/// The calling thread's name, as the kernel keeps it.
private func currentThreadName() -> String {
    let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
    return name.map { String($0.dropLast()) } ?? ""
}
#endif
