import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The bytes a child writes to a pipe, read on a thread of its own until end of file.
///
/// Reading at once, whatever the test is doing, keeps a chatty child from filling the pipe
/// and stalling.
final class CapturedOutput: Sendable {
    private let state = Mutex<(bytes: [UInt8], endedAt: ContinuousClock.Instant?)>(([], nil))

    /// Starts reading `descriptor`, which it closes at end of file.
    init(reading descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    state.withLock { $0.bytes += chunk[..<count] }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(descriptor)
            let now = ContinuousClock.now
            state.withLock { $0.endedAt = now }
        }
    }

    /// What was read so far.
    var bytes: [UInt8] { state.withLock { $0.bytes } }

    /// When the reading thread saw end of file, or `nil` before.
    var endedAt: ContinuousClock.Instant? { state.withLock { $0.endedAt } }
}
