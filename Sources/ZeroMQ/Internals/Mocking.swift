internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if DEBUG
import Synchronization

/// Debug-only fault injection, in the spirit of swift-system's `ENABLE_MOCKING`.
///
/// A test queues error numbers for the calling thread; the next libzmq calls made through
/// `valueOrError` / `valueOrWouldBlock` on that thread fail with them, one each, before the real
/// call runs. This drives `EINTR` retry paths without real signals. Release builds compile the
/// hook away entirely.
@usableFromInline
internal enum Mocking {
    private static let queued = Mutex<[UInt: [CInt]]>([:])

    private static var currentThread: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    /// Makes the next `errors.count` wrapped libzmq calls on this thread fail with these errors.
    internal static func failNextCalls(with errors: [ZMQError]) {
        let thread = currentThread
        queued.withLock { $0[thread, default: []].append(contentsOf: errors.map(\.rawValue)) }
    }

    /// Removes any injected errors left for this thread.
    internal static func reset() {
        let thread = currentThread
        queued.withLock { _ = $0.removeValue(forKey: thread) }
    }

    @usableFromInline
    internal static func intercept(_ body: () -> CInt) -> CInt {
        let thread = currentThread
        let injected: CInt? = queued.withLock { table in
            guard var errors = table[thread], !errors.isEmpty else { return nil }
            let first = errors.removeFirst()
            table[thread] = errors.isEmpty ? nil : errors
            return first
        }
        if let injected {
            errno = injected
            return -1
        }
        return body()
    }
}
#else
@usableFromInline
internal enum Mocking {
    @inlinable @inline(__always)
    internal static func intercept(_ body: () -> CInt) -> CInt { body() }
}
#endif
