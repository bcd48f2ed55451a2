#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ExampleSupport

/// Reads standard input a line at a time, for `--stdin`, without ever blocking: the engine
/// polls the descriptor along with its socket, and calls ``fill()`` only when it is readable.
///
/// A line is everything up to a `\n`, which is dropped; a last line without one still counts.
/// The bytes are taken as they are: a line need not be UTF-8.
///
/// Not thread safe: one engine owns it.
struct LineReader {
    /// The descriptor read, standard input by default.
    let fileDescriptor: CInt
    /// Bytes read but not yet taken as lines.
    private var buffer: [UInt8] = []
    /// Where the untaken bytes start in `buffer`.
    private var start = 0
    /// Where the search for the next newline resumes.
    private var scanned = 0
    /// Whether the input has ended.
    private(set) var isAtEnd = false

    /// How much one `read` asks for.
    private static let chunkSize = 64 * 1024

    /// The longest line taken: a longer one (`--stdin < /dev/zero`, a binary file without
    /// newlines) is refused instead of filling memory until the process is killed.
    static let maximumLineLength = 64 << 20

    /// Creates a reader.
    ///
    /// - Parameter fileDescriptor: The descriptor to read.
    init(fileDescriptor: CInt = STDIN_FILENO) {
        self.fileDescriptor = fileDescriptor
    }

    /// Takes the next complete line, or `nil` if none is buffered yet (at the end of the
    /// input, the last unterminated line).
    ///
    /// - Returns: The line's bytes, without its `\n`.
    mutating func nextLine() -> [UInt8]? {
        if let newline = newlineIndex() {
            let line = Array(buffer[start..<newline])
            start = newline + 1
            scanned = start
            return line
        }
        scanned = buffer.count
        if isAtEnd && start < buffer.count {
            let line = Array(buffer[start...])
            start = buffer.count
            return line
        }
        return nil
    }

    /// Where the next `\n` is in `buffer`, searching from `scanned` (with `memchr`: a long
    /// line is scanned at memory speed, whatever the build).
    private func newlineIndex() -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, scanned < bytes.count,
                  let found = memchr(base + scanned, CInt(UInt8(ascii: "\n")), bytes.count - scanned)
            else { return nil }
            return UnsafeRawPointer(found) - UnsafeRawPointer(base)
        }
    }

    /// Whether every line has been taken and the input has ended.
    var isExhausted: Bool { isAtEnd && start == buffer.count }

    /// Reads what is available (call it when the descriptor is readable).
    ///
    /// - Throws: A `DemoError` when standard input can't be read, or holds a line longer
    ///   than ``maximumLineLength``.
    ///
    /// The corresponding C function is `read`.
    mutating func fill() throws {
        guard !isAtEnd else { return }
        // Drop the bytes already taken, keeping the storage.
        if start > 0 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        // Only an unfinished line is left: `nextLine()` takes every complete one first.
        if buffer.count > Self.maximumLineLength && newlineIndex() == nil {
            throw DemoError("a line of standard input is longer than \(Self.maximumLineLength >> 20) MiB")
        }
        // Read into a chunk on the stack and append it (a copy at memory speed; the array
        // grows geometrically).
        try withUnsafeTemporaryAllocation(byteCount: Self.chunkSize, alignment: 1) { chunk in
            while true {
                let count = read(fileDescriptor, chunk.baseAddress, Self.chunkSize)
                if count < 0 {
                    let error = errno
                    if error == EINTR { continue }
                    if error == EAGAIN { return }
                    throw DemoError("cannot read standard input: \(String(cString: strerror(error)))")
                }
                if count == 0 {
                    isAtEnd = true
                } else {
                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
                }
                return
            }
        }
    }
}
