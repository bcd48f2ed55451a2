// The one bridge between the standard library's closure-taking byte accessors, which rethrow
// untyped errors (`withUnsafeBytes`, `withContiguousStorageIfAvailable`), and this library's
// `throws(ZMQError)`: the body's outcome travels out as a `Result` and is re-thrown typed.

/// Calls `body` with a view of the bytes of a sequence, copying them into an array only when
/// they are not contiguous already (an `[UInt8]`, a native `String.UTF8View` and an
/// `UnsafeRawBufferPointer` are).
///
/// - Returns: What `body` returns.
/// - Throws: What `body` throws.
internal func withBytes<Bytes: Sequence<UInt8>, Success>(
    of bytes: Bytes,
    _ body: (UnsafeRawBufferPointer) throws(ZMQError) -> Success
) throws(ZMQError) -> Success {
    let outcome = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(ZMQError) in try body(UnsafeRawBufferPointer(buffer)) }
    }
    if let outcome { return try outcome.get() }
    return try Array(bytes).withUnsafeBytes { buffer in
        Result { () throws(ZMQError) in try body(buffer) }
    }.get()
}

/// Calls `body` with a mutable view of an array's bytes.
///
/// - Returns: What `body` returns.
/// - Throws: What `body` throws.
internal func withMutableBytes<Success>(
    of array: inout [UInt8],
    _ body: (UnsafeMutableRawBufferPointer) throws(ZMQError) -> Success
) throws(ZMQError) -> Success {
    try array.withUnsafeMutableBytes { buffer in
        Result { () throws(ZMQError) in try body(buffer) }
    }.get()
}
