internal import CZeroMQ

/// Options for a send.
///
/// The corresponding C flags are `ZMQ_DONTWAIT` and `ZMQ_SNDMORE`.
public struct SendFlags: OptionSet, Hashable, Sendable {
    /// The libzmq flag bits.
    public let rawValue: CInt

    /// Creates flags from libzmq's flag bits.
    @inlinable
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Return at once instead of waiting when the message can't be queued; the send then
    /// reports "would block" by returning `false`. The C flag is `ZMQ_DONTWAIT`.
    public static var dontWait: SendFlags { SendFlags(rawValue: ZMQ_DONTWAIT) }

    /// More frames of the same multipart message follow. The C flag is `ZMQ_SNDMORE`.
    public static var sendMore: SendFlags { SendFlags(rawValue: ZMQ_SNDMORE) }
}

/// Options for a receive.
///
/// The corresponding C flag is `ZMQ_DONTWAIT`.
public struct ReceiveFlags: OptionSet, Hashable, Sendable {
    /// The libzmq flag bits.
    public let rawValue: CInt

    /// Creates flags from libzmq's flag bits.
    @inlinable
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Return at once instead of waiting when no message is ready; the receive then reports
    /// "would block" by returning `false` or `nil`. The C flag is `ZMQ_DONTWAIT`.
    public static var dontWait: ReceiveFlags { ReceiveFlags(rawValue: ZMQ_DONTWAIT) }
}
