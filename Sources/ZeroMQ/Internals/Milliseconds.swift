// How durations become libzmq's whole milliseconds, in one place, so that options, the default
// linger and `Poller.poll` agree: a positive duration is rounded *up*, so it never turns into
// zero ("don't wait"); 1.9 ms waits 2 ms.

extension Duration {
    /// The duration in whole milliseconds, rounded up (towards positive infinity) and clamped
    /// to `Int64`'s range.
    internal var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        // `components` gives both parts the same sign, so truncating the attoseconds rounds
        // towards zero, which is up for a negative duration; a positive remainder adds one.
        var part = attoseconds / attosecondsPerMillisecond
        if attoseconds % attosecondsPerMillisecond > 0 { part += 1 }
        let (total, overflowAgain) = milliseconds.addingReportingOverflow(part)
        if overflowAgain { return seconds < 0 ? .min : .max }
        return total
    }

    /// The duration in whole seconds, rounded up.
    internal var roundedUpSeconds: Int64 {
        let (seconds, attoseconds) = components
        return attoseconds > 0 && seconds < .max ? seconds + 1 : seconds
    }
}
