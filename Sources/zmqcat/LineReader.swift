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
        if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
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

    /// Whether every line has been taken and the input has ended.
    var isExhausted: Bool { isAtEnd && start == buffer.count }

    /// Reads what is available (call it when the descriptor is readable).
    ///
    /// - Throws: A `DemoError` when standard input can't be read.
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
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.chunkSize))
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                read(fileDescriptor, bytes.baseAddress! + old, Self.chunkSize)
            }
            if count < 0 {
                let error = errno
                if error == EINTR { continue }
                buffer.removeSubrange(old...)
                if error == EAGAIN { return }
                throw DemoError("cannot read standard input: \(String(cString: strerror(error)))")
            }
            buffer.removeSubrange((old + count)...)
            if count == 0 { isAtEnd = true }
            return
        }
    }
}
