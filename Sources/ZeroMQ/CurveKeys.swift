internal import CZeroMQ

// CURVE keys (CurveZMQ, RFC 26): a public key to hand out, the secret key that goes with it,
// and the pair. They are distinct types, so a secret key can't be set where a public key
// belongs (`curveServerKey`), and a secret key never prints itself.

/// A CURVE public key: 32 bytes, usually exchanged as 40 characters of Z85 text.
///
/// Hand it out freely: it is what a client sets as ``SocketOption/curveServerKey`` and what
/// an authenticator allows. It prints as its Z85 text.
///
/// A key is a value and is safe to share between threads.
public struct CurvePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The length of a binary key in bytes.
    public static let byteCount = 32

    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// Creates a key from its 32 binary bytes.
    ///
    /// - Parameter bytes: The key.
    /// - Throws: ``ZMQError/invalidArgument`` unless there are exactly 32 bytes.
    public init(bytes: [UInt8]) throws(ZMQError) {
        self.bytes = try checkedKeyBytes(bytes, what: "CurvePublicKey(bytes:)")
    }

    /// Creates a key from its 40-character Z85 text form.
    ///
    /// - Parameter z85: The encoded key.
    /// - Throws: ``ZMQError/invalidArgument`` unless it is 40 valid Z85 characters; the error
    ///   says which.
    ///
    /// The corresponding C function is `zmq_z85_decode`.
    public init(z85: String) throws(ZMQError) {
        self.bytes = try decodeZ85Key(z85, what: "CurvePublicKey(z85:)")
    }

    /// The key in its 40-character Z85 text form.
    ///
    /// The corresponding C function is `zmq_z85_encode`.
    public var z85: String { encodeZ85(bytes) }

    /// The Z85 text form.
    public var description: String { z85 }
}

/// A CURVE secret key: 32 bytes that must stay secret.
///
/// A secret key never reveals itself by accident: `print(key)`, string interpolation,
/// `debugPrint`, `dump` and error messages show `CurveSecretKey(redacted)`. Read its Z85 text
/// with ``revealedZ85`` (to store it) and its bytes with ``revealedBytes``; both names say what
/// they do at the call site. Comparing two secret keys takes the same time wherever they
/// differ.
///
/// A key is a value and is safe to share between threads.
public struct CurveSecretKey: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The length of a binary key in bytes.
    public static let byteCount = 32

    private let storage: [UInt8]

    /// Creates a key from its 32 binary bytes.
    ///
    /// - Parameter bytes: The key.
    /// - Throws: ``ZMQError/invalidArgument`` unless there are exactly 32 bytes.
    public init(bytes: [UInt8]) throws(ZMQError) {
        self.storage = try checkedKeyBytes(bytes, what: "CurveSecretKey(bytes:)")
    }

    /// Creates a key from its 40-character Z85 text form.
    ///
    /// - Parameter z85: The encoded key.
    /// - Throws: ``ZMQError/invalidArgument`` unless it is 40 valid Z85 characters; the error
    ///   never quotes the text.
    ///
    /// The corresponding C function is `zmq_z85_decode`.
    public init(z85: String) throws(ZMQError) {
        self.storage = try decodeZ85Key(z85, what: "CurveSecretKey(z85:)")
    }

    /// The secret key in its 40-character Z85 text form, for storing it (as a certificate
    /// file does). Keep it out of logs.
    ///
    /// The corresponding C function is `zmq_z85_encode`.
    public var revealedZ85: String { encodeZ85(storage) }

    /// The secret key's 32 bytes. Keep them out of logs.
    public var revealedBytes: [UInt8] { storage }

    /// Derives the public key that belongs to this secret key.
    ///
    /// - Returns: The public key.
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public var publicKey: CurvePublicKey {
        get throws(ZMQError) {
            var publicText = [CChar](repeating: 0, count: 41)
            let secretText = Array(revealedZ85.utf8CString)
            do {
                _ = try valueOrError(retryOnInterrupt: false) { zmq_curve_public(&publicText, secretText) }
            } catch {
                throw error.adding(action: .call("derive a CURVE public key"))
            }
            return try CurvePublicKey(z85: string(fromZ85: publicText))
        }
    }

    /// `CurveSecretKey(redacted)`: the key itself never prints.
    public var description: String { "CurveSecretKey(redacted)" }

    /// `CurveSecretKey(redacted)`: the key itself never prints.
    public var debugDescription: String { description }

    /// A mirror without children, so that `dump` and reflection show no key bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Compares two keys in time that does not depend on where they differ.
    ///
    /// - Parameters:
    ///   - lhs: A key.
    ///   - rhs: Another key.
    /// - Returns: Whether the keys are the same.
    public static func == (lhs: CurveSecretKey, rhs: CurveSecretKey) -> Bool {
        var difference: UInt8 = 0
        for index in 0..<byteCount { difference |= lhs.storage[index] ^ rhs.storage[index] }
        return difference == 0
    }
}

/// A CURVE key pair: a public key to hand out and the secret key that goes with it.
///
/// A pair always belongs together: ``init(secretKey:)`` derives the public key, and
/// ``init(publicKey:secretKey:)`` refuses keys that don't match. Printing a pair shows the
/// public key only.
///
/// A key pair is a value and is safe to share between threads.
public struct CurveKeyPair: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The public key.
    public let publicKey: CurvePublicKey
    /// The secret key.
    public let secretKey: CurveSecretKey

    /// Creates the pair of a secret key, deriving its public key.
    ///
    /// - Parameter secretKey: The secret key.
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public init(secretKey: CurveSecretKey) throws(ZMQError) {
        self.publicKey = try secretKey.publicKey
        self.secretKey = secretKey
    }

    /// Creates a pair from two keys, checking that they belong together.
    ///
    /// - Parameters:
    ///   - publicKey: The public key.
    ///   - secretKey: The secret key it must belong to.
    /// - Throws: ``ZMQError/invalidArgument`` if `publicKey` is not the public key of
    ///   `secretKey`; ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public init(publicKey: CurvePublicKey, secretKey: CurveSecretKey) throws(ZMQError) {
        guard try secretKey.publicKey == publicKey else {
            throw ZMQError(.invalidArgument, context: ErrorContext(
                action: .call("CurveKeyPair(publicKey:secretKey:)"),
                reason: "the public key \(publicKey.z85) does not belong to the secret key"))
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new random key pair.
    ///
    /// - Returns: The pair, from the operating system's random source.
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_keypair`.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        do {
            _ = try valueOrError(retryOnInterrupt: false) { zmq_curve_keypair(&publicText, &secretText) }
        } catch {
            throw error.adding(action: .call("generate a CURVE key pair"))
        }
        return CurveKeyPair(
            checkedPublicKey: try CurvePublicKey(z85: string(fromZ85: publicText)),
            secretKey: try CurveSecretKey(z85: string(fromZ85: secretText)))
    }

    private init(checkedPublicKey: CurvePublicKey, secretKey: CurveSecretKey) {
        self.publicKey = checkedPublicKey
        self.secretKey = secretKey
    }

    /// `CurveKeyPair(publicKey: <z85>, secretKey: redacted)`.
    public var description: String { "CurveKeyPair(publicKey: \(publicKey.z85), secretKey: redacted)" }

    /// `CurveKeyPair(publicKey: <z85>, secretKey: redacted)`.
    public var debugDescription: String { description }

    /// A mirror showing the public key only.
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKey], displayStyle: .struct)
    }
}

// MARK: - Z85

/// Checks a binary key's length.
private func checkedKeyBytes(_ bytes: [UInt8], what: String) throws(ZMQError) -> [UInt8] {
    guard bytes.count == CurvePublicKey.byteCount else {
        throw ZMQError(.invalidArgument, context: ErrorContext(
            action: .call(what), reason: "a CURVE key is 32 bytes, not \(bytes.count)"))
    }
    return bytes
}

/// Decodes a 40-character Z85 key; the error says what is wrong without quoting the text.
private func decodeZ85Key(_ text: String, what: String) throws(ZMQError) -> [UInt8] {
    let length = text.utf8.count
    guard length == 40 else {
        throw ZMQError(.invalidArgument, context: ErrorContext(
            action: .call(what), reason: "a Z85 key is 40 characters, not \(length)"))
    }
    do {
        return try Z85.decode(text)
    } catch {
        // Z85's reason ("character 7 is not in the Z85 alphabet"), under this call's name.
        throw ZMQError(.invalidArgument, context: ErrorContext(action: .call(what), reason: error.reason))
    }
}

/// Encodes 32 bytes as 40 characters of Z85.
private func encodeZ85(_ bytes: [UInt8]) -> String {
    // A key is always 32 bytes, a multiple of 4, so the encoder cannot refuse it.
    (try? Z85.encode(bytes)) ?? ""
}

/// The 40 characters of a NUL-terminated Z85 buffer.
private func string(fromZ85 text: [CChar]) -> String {
    String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
