// `stdout` is a C global variable, which Swift 6 treats as shared mutable state; it is only
// read here, to configure its buffering before any other thread exists.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Terminal output for the demos: line-buffered standard output, and diagnostics on standard
/// error.
///
/// All members are thread safe.
public enum Console {
    /// Makes standard output line buffered, so that each `print` reaches a pipe at once.
    ///
    /// Standard output is fully buffered when it is not a terminal, so without this a demo
    /// whose output is piped (to `tee`, a test, another program) shows nothing until it
    /// exits. ``Demo/run(_:)`` calls it for you.
    ///
    /// The corresponding C function is `setvbuf`.
    public static func lineBufferStandardOutput() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }

    /// Writes one line to standard error.
    ///
    /// - Parameter line: The text, without a trailing newline.
    ///
    /// The line goes out in one unbuffered `write`, so lines from different threads or
    /// processes sharing the stream do not interleave.
    public static func error(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { bytes in
            var remaining = UnsafeRawBufferPointer(bytes)
            while !remaining.isEmpty {
                let written = write(STDERR_FILENO, remaining.baseAddress, remaining.count)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
            }
        }
    }
}
