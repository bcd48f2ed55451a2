#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Happens-before annotations for ThreadSanitizer, which do something only when the process
/// runs under it (`swift test --sanitize=thread`).
///
/// On Linux, `Synchronization.Mutex` takes a contended lock in the kernel (`FUTEX_LOCK_PI`,
/// called from the uninstrumented `libswiftSynchronization`), so ThreadSanitizer does not
/// see that one thread's unlock happens before the next thread's lock, and reports the
/// accesses the lock protects as data races. A lock whose holders call ``acquire(_:)`` first
/// and ``release(_:)`` last inside it shows ThreadSanitizer that edge. Without
/// ThreadSanitizer each call is a load and a branch. (The Swift runtime annotates its own
/// locks the same way, looking up the same two functions.)
internal enum ThreadSanitizer {
    private typealias Annotation = @convention(c) (UnsafeMutableRawPointer?) -> Void

    private static let acquireFunction: Annotation? = lookUp("__tsan_acquire")
    private static let releaseFunction: Annotation? = lookUp("__tsan_release")

    private static func lookUp(_ name: String) -> Annotation? {
        guard let program = dlopen(nil, RTLD_LAZY), let symbol = dlsym(program, name) else { return nil }
        return unsafeBitCast(symbol, to: Annotation.self)
    }

    /// Marks the start of a critical section of the lock `object` stands for.
    @inline(__always)
    static func acquire(_ object: AnyObject, lock: Int = 0) {
        if let acquireFunction { acquireFunction(address(of: object, lock: lock)) }
    }

    /// Marks the end of a critical section of the lock `object` stands for.
    @inline(__always)
    static func release(_ object: AnyObject, lock: Int = 0) {
        if let releaseFunction { releaseFunction(address(of: object, lock: lock)) }
    }

    /// Runs `body` as a critical section of the lock `object` stands for: call it first thing
    /// inside the lock.
    @inline(__always)
    static func critical<Result: ~Copyable, Failure: Error>(
        _ object: AnyObject,
        lock: Int = 0,
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        acquire(object, lock: lock)
        defer { release(object, lock: lock) }
        return try body()
    }

    /// An address inside `object` that names one of its locks.
    private static func address(of object: AnyObject, lock: Int) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(object).toOpaque() + lock
    }
}
