import Foundation
import Synchronization
import Testing
import ZeroMQ

// Helpers for tests that need a second thread: a proxy, a worker, a blocked call to wake.
// A socket moves to another thread with `SocketThread`, whose `sending` closure takes it over;
// `BackgroundThread` serves closures that create their own sockets from a captured `Context`
// and hand back only Sendable values.

/// A value handed from one thread to another once, with a bounded wait on the receiving side.
final class OneShot<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)

    init() {}

    /// Delivers the value; later calls are ignored.
    func send(_ value: Value) {
        slot.withLock { if $0 == nil { $0 = value } }
    }

    /// Waits until the value arrives or `timeout` passes.
    ///
    /// - Returns: The value, or `nil` on timeout.
    func wait(timeout: Duration = testTimeout) -> Value? {
        var value: Value?
        _ = waitUntil(timeout: timeout) {
            value = slot.withLock { $0 }
            return value != nil
        }
        return value
    }
}

/// Work on a thread of its own that shares only Sendable values with the test (not the Swift
/// concurrency pool, which must never block). To hand sockets to a thread, use `SocketThread`
/// directly; this adapter, built on it, keeps the untyped `Result` and never throws.
final class BackgroundThread<Value: Sendable>: Sendable {
    private enum Start: Sendable {
        case running(SocketThread<Value, any Error>)
        case failed(ZMQError)
    }

    private let start: Start

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () throws -> Value) {
        do {
            start = .running(try SocketThread(name: "test-background", body))
        } catch {
            start = .failed(error)
        }
    }

    /// Waits for the thread's result, at most `timeout`.
    ///
    /// - Returns: What the body returned or threw (or why no thread started), or `nil` if it
    ///   is still running.
    func wait(timeout: Duration = testTimeout) -> Result<Value, any Error>? {
        switch start {
        case .running(let thread): thread.join(timeout: timeout)
        case .failed(let error): .failure(error)
        }
    }
}

/// A failure found inside a background thread, reported back through its result.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every millisecond until it holds or `timeout` passes.
///
/// - Returns: Whether the condition held in time.
func waitUntil(timeout: Duration = testTimeout, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.001)
    }
}

/// Blocks the calling thread for `duration`.
func blockingSleep(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
}

/// Binds `socket` to `endpoint`, retrying while the address is still in use.
///
/// libzmq releases a closed socket's endpoints on its reaper thread, a moment after `close`
/// returns, so a test that rebinds a just-released endpoint has to allow for that.
func bindEventually<Kind: SocketKind>(
    _ socket: borrowing Socket<Kind>,
    to endpoint: String,
    timeout: Duration = testTimeout
) throws(ZMQError) {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            try socket.bind(to: endpoint)
            return
        } catch .addressInUse where ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
}

/// `count` bytes in a pattern that depends on `seed`, so that payloads of different tests and
/// rounds differ and a truncated or misplaced frame is caught.
func patternBytes(count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ ($0 >> 8)) }
}

/// Binds `socket` on a fresh endpoint of `transport`, as a test does before moving the socket
/// onto a `SocketThread`.
///
/// - Returns: The endpoint as bound, with a TCP port resolved.
func bindResolved<Kind: SocketKind>(
    _ socket: borrowing Socket<Kind>,
    on transport: Transport
) throws -> String {
    try socket.bind(to: transport.bindEndpoint()).endpoint
}
