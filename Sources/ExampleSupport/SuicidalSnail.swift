#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the suicidal-snail demos (`suicidal-snail-publisher`, `suicidal-snail-subscriber`)
/// agree on: the message format and the clock that stamps it.
///
/// Each message is one frame of text, `<sequence> <microseconds>`: the sequence number, from
/// 1 for a publisher's first message, and the wall-clock time it was sent, in microseconds
/// since the Unix epoch, both in decimal (`17 1718035202123456`). The Guide's
/// suicidal snail (chapter 5, suisnail.c) sends only the time, in milliseconds; the sequence
/// number lets the subscriber notice messages its publisher dropped, and microseconds show
/// sub-millisecond delays.
///
/// All members are thread safe.
public enum SuicidalSnail {
    /// One stamped message.
    public struct Stamp: Hashable, Sendable {
        /// The sequence number: 1 for a publisher's first message, one more for each after.
        public let sequence: UInt64
        /// When the message was sent, in microseconds since the Unix epoch.
        public let microseconds: Int64

        /// Creates a stamp.
        ///
        /// - Parameters:
        ///   - sequence: The sequence number.
        ///   - microseconds: The time sent, in microseconds since the Unix epoch.
        public init(sequence: UInt64, microseconds: Int64) {
            self.sequence = sequence
            self.microseconds = microseconds
        }

        /// The message text, `<sequence> <microseconds>`.
        public var text: String { "\(sequence) \(microseconds)" }

        /// Reads a message: two decimal numbers separated by one space, nothing else.
        ///
        /// - Parameter bytes: The message's bytes.
        /// - Returns: The stamp, or `nil` when the message is not in that form or a number
        ///   does not fit (the sequence in 64 bits, the time in 63).
        public init?(parsing bytes: UnsafeRawBufferPointer) {
            guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
                  let sequence = Self.decimal(UnsafeRawBufferPointer(rebasing: bytes[..<space])),
                  let microseconds = Self.decimal(UnsafeRawBufferPointer(rebasing: bytes[(space + 1)...])),
                  microseconds <= UInt64(Int64.max)
            else { return nil }
            self.init(sequence: sequence, microseconds: Int64(microseconds))
        }

        /// One or more ASCII digits as a number, or `nil` (empty, another byte, overflow).
        private static func decimal(_ digits: UnsafeRawBufferPointer) -> UInt64? {
            guard !digits.isEmpty else { return nil }
            var value: UInt64 = 0
            for byte in digits {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else { return nil }
                value = sum
            }
            return value
        }
    }

    /// The wall-clock time now, in microseconds since the Unix epoch.
    ///
    /// Publisher and subscriber compare their clocks, so both read the system's real-time
    /// clock; on one machine that is the same clock.
    ///
    /// - Returns: The number of microseconds.
    ///
    /// The corresponding C function is `clock_gettime` with `CLOCK_REALTIME`.
    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}
