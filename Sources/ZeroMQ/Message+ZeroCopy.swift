internal import CZeroMQ

/// Holds the release closure of a zero-copy message until libzmq is done with the payload.
///
/// The buffer travels as its address and length, plain integers, so that the box is
/// checked `Sendable` on its way to libzmq's I/O thread.
private final class ReleaseBox: Sendable {
    let address: UInt
    let count: Int
    let release: @Sendable (UnsafeMutableRawBufferPointer) -> Void

    init(buffer: UnsafeMutableRawBufferPointer, release: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) {
        self.address = UInt(bitPattern: buffer.baseAddress)
        self.count = buffer.count
        self.release = release
    }

    /// The buffer the box was made for.
    var buffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: count)
    }
}

/// libzmq's `zmq_free_fn`: runs the release closure once and drops the box.
private let releaseTrampoline: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    guard let hint else { return }
    let box = Unmanaged<ReleaseBox>.fromOpaque(hint).takeRetainedValue()
    box.release(box.buffer)
}

extension Message {
    /// Creates a message that sends the bytes of a buffer you own, without copying them.
    ///
    /// libzmq takes ownership of the buffer: don't change or free it yourself. When libzmq no
    /// longer needs it (after the message and every copy of it is sent or closed), it calls
    /// `release` exactly once, with the same buffer, on one of its I/O threads or on the thread
    /// that drops the last reference. If the message can't be created, `release` is not called
    /// and the buffer stays yours.
    ///
    /// Copying is cheaper than this for small payloads; measure before choosing zero copy
    /// below a few kilobytes.
    ///
    /// - Parameters:
    ///   - buffer: The payload. It must stay valid until `release` runs.
    ///   - release: Frees or recycles the buffer; must be thread safe.
    /// - Throws: ``ZMQError/outOfMemory`` if libzmq cannot allocate its bookkeeping.
    ///
    /// The corresponding C function is `zmq_msg_init_data`.
    public init(
        adopting buffer: UnsafeMutableRawBufferPointer,
        release: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void
    ) throws(ZMQError) {
        let hint = Unmanaged.passRetained(ReleaseBox(buffer: buffer, release: release)).toOpaque()
        var raw = zmq_msg_t()
        do {
            _ = try valueOrError(retryOnInterrupt: false) {
                zmq_msg_init_data(&raw, buffer.baseAddress, buffer.count, releaseTrampoline, hint)
            }
        } catch {
            Unmanaged<ReleaseBox>.fromOpaque(hint).release()
            throw error
        }
        self.init(raw: raw)
    }

    /// Creates a message over bytes that live for the rest of the program, such as a static
    /// constant, without copying them and without any release.
    ///
    /// - Parameter bytes: The payload; it must never be freed or changed.
    /// - Throws: ``ZMQError/outOfMemory`` if libzmq cannot allocate its bookkeeping.
    ///
    /// The corresponding C function is `zmq_msg_init_data` with no free function.
    public init(immortal bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        var raw = zmq_msg_t()
        _ = try valueOrError(retryOnInterrupt: false) {
            zmq_msg_init_data(&raw, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count, nil, nil)
        }
        self.init(raw: raw)
    }
}
