internal import CZeroMQ

/// A 32-byte CURVE key (public or secret), as used by ZeroMQ's CurveZMQ security.
///
/// Keys are usually exchanged in Z85 text form, 40 characters long; ``init(z85:)`` and
/// ``z85`` convert. A key of the wrong length throws ``ZMQError/invalidArgument``.
///
/// A key is a value and is safe to share between threads.
public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    /// The length of a binary key in bytes.
    public static let byteCount = 32

    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// Creates a key from its 32 binary bytes.
    ///
    /// - Parameter bytes: The key.
    /// - Throws: ``ZMQError/invalidArgument`` unless there are exactly 32 bytes.
    public init(bytes: [UInt8]) throws(ZMQError) {
        guard bytes.count == Self.byteCount else { throw .invalidArgument }
        self.bytes = bytes
    }

    /// Creates a key from its 40-character Z85 text form.
    ///
    /// - Parameter z85: The encoded key.
    /// - Throws: ``ZMQError/invalidArgument`` unless it is 40 valid Z85 characters.
    ///
    /// The corresponding C function is `zmq_z85_decode`.
    public init(z85: String) throws(ZMQError) {
        let text = Array(z85.utf8)
        guard text.count == 40, text.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidArgument }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount)
        let ok = (text + [0]).withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { zmq_z85_decode(&decoded, $0.baseAddress) != nil }
        }
        guard ok else { throw .invalidArgument }
        self.bytes = decoded
    }

    /// The key in its 40-character Z85 text form.
    ///
    /// The corresponding C function is `zmq_z85_encode`.
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Z85 text form.
    public var description: String { z85 }

    /// Derives the public key that belongs to a secret key.
    ///
    /// - Parameter secretKey: A CURVE secret key.
    /// - Returns: Its public key.
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public static func publicKey(for secretKey: CurveKey) throws(ZMQError) -> CurveKey {
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = Array(secretKey.z85.utf8CString)
        _ = try valueOrError(retryOnInterrupt: false) { zmq_curve_public(&publicText, secretText) }
        return try CurveKey(z85: String(decoding: publicText.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// A CURVE key pair: a public key to hand out and the secret key that goes with it.
public struct CurveKeyPair: Hashable, Sendable {
    /// The public key.
    public let publicKey: CurveKey
    /// The secret key.
    public let secretKey: CurveKey

    /// Creates a pair from two keys.
    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new random key pair.
    ///
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_keypair`.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        _ = try valueOrError(retryOnInterrupt: false) { zmq_curve_keypair(&publicText, &secretText) }
        func decode(_ text: [CChar]) throws(ZMQError) -> CurveKey {
            try CurveKey(z85: String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return CurveKeyPair(publicKey: try decode(publicText), secretKey: try decode(secretText))
    }
}
