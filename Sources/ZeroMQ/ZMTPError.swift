internal import CZeroMQ

/// Why a ZMTP security handshake failed on a protocol error, as a socket monitor reports it
/// in ``MonitorEvent/HandshakeFailure/protocol(_:)``.
///
/// The error lies either between the two peers' security mechanisms (a mechanism mismatch, a
/// CURVE key that does not decrypt, a malformed command) or between the server and its ZAP
/// handler (a malformed ZAP reply); ``isZAPError`` tells which. Either way it points at a
/// configuration or implementation error in one of the peers or in the ZAP handler, not at a
/// refused user: an authentication failure is reported as
/// ``MonitorEvent/HandshakeFailure/authentication(statusCode:)`` instead.
///
/// Like ``ZMQError``, this is a trivial value over libzmq's code, so codes this library has
/// no name for still fit. Match the named codes in a `switch`:
///
/// ```swift
/// if case .handshakeFailed(.protocol(.mechanismMismatch)) = event.kind { … }
/// ```
///
/// A `ZMTPError` is a value and is safe to share between threads.
///
/// The corresponding C values are the `ZMQ_PROTOCOL_ERROR_*` constants.
public struct ZMTPError: Error, RawRepresentable, Hashable, Sendable {
    /// libzmq's code, one of the `ZMQ_PROTOCOL_ERROR_*` values.
    public let rawValue: UInt32

    /// Creates an error from libzmq's code.
    ///
    /// - Parameter rawValue: A `ZMQ_PROTOCOL_ERROR_*` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    private init(_ code: CInt) { self.rawValue = UInt32(bitPattern: code) }

    /// An unspecified ZMTP error. The C value is `ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`.
    public static var unspecified: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED) }
    /// The peer sent a command that was not expected at this point. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`.
    public static var unexpectedCommand: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND) }
    /// The peer sent messages in an invalid order. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`.
    public static var invalidSequence: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE) }
    /// The key exchange failed. The C value is `ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`.
    public static var keyExchange: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE) }
    /// The peer sent a malformed command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`.
    public static var malformedCommand: ZMTPError {
        ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED)
    }
    /// The peer sent a malformed MESSAGE command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`.
    public static var malformedMessage: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE) }
    /// The peer sent a malformed HELLO command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`.
    public static var malformedHello: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO) }
    /// The peer sent a malformed INITIATE command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`.
    public static var malformedInitiate: ZMTPError {
        ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE)
    }
    /// The peer sent a malformed ERROR command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`.
    public static var malformedError: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR) }
    /// The peer sent a malformed READY command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`.
    public static var malformedReady: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY) }
    /// The peer sent a malformed WELCOME command. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`.
    public static var malformedWelcome: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME) }
    /// The peer sent invalid metadata. The C value is `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`.
    public static var invalidMetadata: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA) }
    /// A cryptographic check failed, such as a CURVE client using the wrong server key. The C
    /// value is `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`.
    public static var cryptographic: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) }
    /// The peers use different security mechanisms (NULL, PLAIN, CURVE). The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`.
    public static var mechanismMismatch: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) }
    /// An unspecified error between the server and its ZAP handler. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED`.
    public static var zapUnspecified: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED) }
    /// The ZAP handler's reply was malformed. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY`.
    public static var zapMalformedReply: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY) }
    /// The ZAP handler's reply carried the wrong request id. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID`.
    public static var zapBadRequestID: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID) }
    /// The ZAP handler's reply had a version other than "1.0". The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION`.
    public static var zapBadVersion: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION) }
    /// The ZAP handler's reply had a status code other than 200, 300, 400 or 500. The C value
    /// is `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE`.
    public static var zapInvalidStatusCode: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE) }
    /// The ZAP handler's reply carried invalid metadata. The C value is
    /// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA`.
    public static var zapInvalidMetadata: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA) }
    /// An unspecified WebSocket error (the `ws://` transport of libzmq's draft API). The C
    /// value is `ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED`.
    public static var webSocketUnspecified: ZMTPError { ZMTPError(ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED) }

    /// Whether the error lies between the server and its ZAP handler rather than between
    /// the peers.
    public var isZAPError: Bool { rawValue & 0xF000_0000 == 0x2000_0000 }

    /// The C name of the code, such as `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`, or `nil`
    /// for a code this library does not name.
    public var name: String? { Self.known[rawValue]?.name }

    /// What went wrong, in words, such as "mechanism mismatch".
    public var message: String {
        Self.known[rawValue]?.message ?? (isZAPError ? "ZAP protocol error" : "protocol error")
    }

    /// The names and texts of the known codes.
    private static let known: [UInt32: (name: String, message: String)] = {
        let table: [(CInt, String, String)] = [
            (ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "ZMTP_UNSPECIFIED", "unspecified ZMTP error"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "ZMTP_UNEXPECTED_COMMAND", "unexpected command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE, "ZMTP_INVALID_SEQUENCE", "invalid sequence"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE, "ZMTP_KEY_EXCHANGE", "key exchange failed"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
             "ZMTP_MALFORMED_COMMAND_UNSPECIFIED", "malformed command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE,
             "ZMTP_MALFORMED_COMMAND_MESSAGE", "malformed MESSAGE command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
             "ZMTP_MALFORMED_COMMAND_HELLO", "malformed HELLO command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
             "ZMTP_MALFORMED_COMMAND_INITIATE", "malformed INITIATE command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR,
             "ZMTP_MALFORMED_COMMAND_ERROR", "malformed ERROR command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
             "ZMTP_MALFORMED_COMMAND_READY", "malformed READY command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME,
             "ZMTP_MALFORMED_COMMAND_WELCOME", "malformed WELCOME command"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "ZMTP_INVALID_METADATA", "invalid metadata"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "ZMTP_CRYPTOGRAPHIC", "cryptographic error"),
            (ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "ZMTP_MECHANISM_MISMATCH", "mechanism mismatch"),
            (ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED, "ZAP_UNSPECIFIED", "unspecified ZAP error"),
            (ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY, "ZAP_MALFORMED_REPLY", "malformed ZAP reply"),
            (ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID, "ZAP_BAD_REQUEST_ID", "ZAP reply with a bad request id"),
            (ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION, "ZAP_BAD_VERSION", "ZAP reply with a bad version"),
            (ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE,
             "ZAP_INVALID_STATUS_CODE", "ZAP reply with an invalid status code"),
            (ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA, "ZAP_INVALID_METADATA", "ZAP reply with invalid metadata"),
            (ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, "WS_UNSPECIFIED", "unspecified WebSocket error"),
        ]
        var known: [UInt32: (name: String, message: String)] = [:]
        for (code, name, message) in table {
            known[UInt32(bitPattern: code)] = ("ZMQ_PROTOCOL_ERROR_" + name, message)
        }
        return known
    }()
}

extension ZMTPError: CustomStringConvertible {
    /// The error in words followed by its C name, such as "mechanism mismatch
    /// (ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)", or the code in hexadecimal for a code
    /// this library does not name.
    public var description: String {
        "\(message) (\(name ?? "0x" + String(rawValue, radix: 16)))"
    }
}
