internal import CZeroMQ

// Z85 (ZeroMQ RFC 32) is the text form of CURVE keys: every 4 bytes become 5 printable
// characters. libzmq's own decoder (4.3) refuses bad text, but it reads a NUL-terminated C
// string, so an embedded NUL would silently end the text early, and it says only EINVAL.
// The text is checked here first, so that the error can say what is wrong and where; then
// libzmq does the conversion.

/// Z85, the text encoding of binary data that ZeroMQ uses for CURVE keys (RFC 32).
///
/// Z85 turns every 4 bytes into 5 characters from an 85-character alphabet of letters,
/// digits and punctuation that needs no quoting in source code, configuration files or
/// command lines. A 32-byte CURVE key is 40 characters.
///
/// ```swift
/// let text = try Z85.encode([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])  // "HelloWorld"
/// let bytes = try Z85.decode("HelloWorld")
/// ```
///
/// The errors say what is wrong and where, such as "character 7 is not in the Z85 alphabet",
/// and never quote the text, which may be a secret key.
///
/// All members are thread safe.
public enum Z85 {
    /// The 85 characters of the alphabet, in the order of their values 0 to 84.
    public static let alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

    /// Encodes bytes as Z85 text.
    ///
    /// - Parameter bytes: The data; its length must be a multiple of 4 (Z85 has no padding).
    /// - Returns: The text, 5 characters for every 4 bytes; empty for no bytes.
    /// - Throws: ``ZMQError/invalidArgument`` if the number of bytes is not a multiple of 4;
    ///   the error's ``ZMQError/reason`` says how many there are.
    ///
    /// The corresponding C function is `zmq_z85_encode`.
    public static func encode(_ bytes: some Collection<UInt8>) throws(ZMQError) -> String {
        let count = bytes.count
        guard count % 4 == 0 else {
            throw refusal("encode", "Z85 encodes a multiple of 4 bytes, not \(count)")
        }
        if count == 0 { return "" }
        let source = Array(bytes)
        var text = [CChar](repeating: 0, count: count / 4 * 5 + 1)
        guard zmq_z85_encode(&text, source, source.count) != nil else {
            // Unreachable: the length was checked, and it is the encoder's only refusal.
            throw refusal("encode", "libzmq refused to encode \(count) bytes")
        }
        return String(decoding: text.dropLast().lazy.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes Z85 text into bytes.
    ///
    /// The text is checked before it is decoded: its length must be a multiple of 5, every
    /// character must be in ``alphabet`` (no spaces, quotes or line breaks), and no group of
    /// 5 characters may stand for a value above 2^32 - 1.
    ///
    /// - Parameter text: The text.
    /// - Returns: The bytes, 4 for every 5 characters; empty for empty text.
    /// - Throws: ``ZMQError/invalidArgument``, whose ``ZMQError/reason`` says what is wrong
    ///   and where (characters are counted from 1), such as "character 7 is not in the Z85
    ///   alphabet"; it never quotes the text.
    ///
    /// The corresponding C function is `zmq_z85_decode`.
    public static func decode(_ text: some StringProtocol) throws(ZMQError) -> [UInt8] {
        let scalars = text.unicodeScalars
        let length = scalars.count
        guard length % 5 == 0 else {
            throw refusal("decode", "Z85 text is a multiple of 5 characters long, not \(length)")
        }
        // Validate everything first, so that libzmq only ever sees valid text.
        var characters: [CChar] = []
        characters.reserveCapacity(length + 1)
        var group: UInt64 = 0
        for (offset, scalar) in scalars.enumerated() {
            let digit = scalar.isASCII ? decoderTable[Int(scalar.value)] : invalidDigit
            guard digit != invalidDigit else {
                throw refusal("decode", "character \(offset + 1) is not in the Z85 alphabet")
            }
            group = group * 85 + UInt64(digit)
            if offset % 5 == 4 {
                guard group <= UInt64(UInt32.max) else {
                    throw refusal("decode", "characters \(offset - 3)-\(offset + 1) encode a value above 2^32 - 1")
                }
                group = 0
            }
            characters.append(CChar(bitPattern: UInt8(scalar.value)))
        }
        if length == 0 { return [] }
        characters.append(0)
        var bytes = [UInt8](repeating: 0, count: length / 5 * 4)
        guard zmq_z85_decode(&bytes, characters) != nil else {
            // Unreachable: everything libzmq checks was checked above.
            throw refusal("decode", "libzmq refused the text")
        }
        return bytes
    }

    /// A digit value meaning "not in the alphabet".
    private static let invalidDigit: UInt8 = 0xFF

    /// The value of each ASCII character, or ``invalidDigit``.
    private static let decoderTable: [UInt8] = {
        var table = [UInt8](repeating: invalidDigit, count: 128)
        for (value, character) in alphabet.utf8.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// An `invalidArgument` error that says why.
    private static func refusal(_ operation: String, _ reason: String) -> ZMQError {
        ZMQError(.invalidArgument, context: ErrorContext(action: .call("Z85.\(operation)"), reason: reason))
    }
}
