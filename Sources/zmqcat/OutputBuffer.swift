#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ExampleSupport

/// Standard output closed its reading end (`zmqcat … | head -1`): a normal end, not an
/// error, so zmqcat stops with status 0.
struct OutputClosed: Error {}

/// The bytes zmqcat prints, gathered in one buffer that is written to standard output with
/// `write(2)`.
///
/// The buffer is allocated once and reused for the whole run, so printing a message
/// allocates nothing. The engine flushes it when it is full, before it blocks waiting for
/// the next message (so interactive use sees each message at once), and at the end.
///
/// Not thread safe: one engine owns it.
struct OutputBuffer: ~Copyable {
    /// How many bytes it holds before it must be written out.
    static let capacity = 64 * 1024

    private let storage: UnsafeMutablePointer<UInt8>
    /// How many bytes are waiting to be written.
    private(set) var count = 0
    /// The file descriptor written to.
    private let fileDescriptor: CInt

    /// Creates an empty buffer for a file descriptor.
    ///
    /// - Parameter fileDescriptor: Where the bytes go, standard output by default.
    init(fileDescriptor: CInt = STDOUT_FILENO) {
        storage = .allocate(capacity: Self.capacity)
        self.fileDescriptor = fileDescriptor
    }

    deinit { storage.deallocate() }

    /// Makes room for at least `needed` more bytes (at most ``capacity``), writing out what
    /// is buffered if it must.
    ///
    /// - Throws: ``OutputClosed``, or a `DemoError` when standard output can't be written.
    @inline(__always)
    mutating func reserve(_ needed: Int) throws {
        if count + needed > Self.capacity { try flush() }
    }

    /// Appends one byte; call ``reserve(_:)`` first.
    @inline(__always)
    mutating func appendUnchecked(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }

    /// Appends a backslash and `letter`, an escape such as `\n`; call ``reserve(_:)`` first
    /// (for two bytes).
    @inline(__always)
    mutating func appendEscape(_ letter: UInt8) {
        appendUnchecked(UInt8(ascii: "\\"))
        appendUnchecked(letter)
    }

    /// Appends one byte.
    ///
    /// - Throws: The errors of ``flush()``.
    @inline(__always)
    mutating func append(_ byte: UInt8) throws {
        if count == Self.capacity { try flush() }
        storage[count] = byte
        count += 1
    }

    /// Appends bytes; a run longer than the buffer is written straight out after what is
    /// buffered, without being copied.
    ///
    /// - Throws: The errors of ``flush()``.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if count + bytes.count > Self.capacity {
            try flush()
            if bytes.count > Self.capacity {
                try writeAll(bytes)
                return
            }
        }
        (storage + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    /// Appends the UTF-8 bytes of a short ASCII string, such as a separator.
    ///
    /// - Throws: The errors of ``flush()``.
    mutating func append(_ text: StaticString) throws {
        try append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes out everything buffered.
    ///
    /// - Throws: ``OutputClosed`` when the reader went away (`EPIPE`), or a `DemoError`
    ///   for any other write error.
    ///
    /// The corresponding C function is `write`.
    mutating func flush() throws {
        guard count > 0 else { return }
        let pending = count
        count = 0
        try writeAll(UnsafeRawBufferPointer(start: storage, count: pending))
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        // A signal ends the process if this write stalls (a reader that stopped reading).
        StalledOutput.begin()
        defer { StalledOutput.end() }
        var remaining = bytes
        while !remaining.isEmpty {
            let written = write(fileDescriptor, remaining.baseAddress, remaining.count)
            if written < 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN {
                    // A non-blocking standard output (inherited so): wait until it drains.
                    var item = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&item, 1, -1)
                    continue
                }
                if error == EPIPE { throw OutputClosed() }
                throw DemoError("cannot write to standard output: \(String(cString: strerror(error)))")
            }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
        }
    }
}
