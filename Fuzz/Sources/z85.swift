// Fuzz target: the Z85 decoder and encoder (`Z85.decode(_:)`, `Z85.encode(_:)`), and the
// CURVE key types' Z85 initializers, against a reference implementation of RFC 32 written
// here.
//
// Input: any bytes, read as UTF-8 text (invalid sequences become U+FFFD) for decoding, and as
// bytes for encoding.
//
// Properties:
// - `decode` accepts exactly what the reference accepts (a multiple of 5 characters, all in
//   the alphabet, no group above 2^32 - 1), returns the reference's bytes, and otherwise
//   throws `invalidArgument` with a reason that does not quote the text;
// - decoding then encoding valid text gives the text back (Z85 is one-to-one);
// - `encode` of a multiple of 4 bytes gives the reference's text, which decodes back to the
//   bytes; of any other length it throws `invalidArgument`;
// - a `Substring` decodes as the equal `String` does;
// - `CurvePublicKey(z85:)` and `CurveSecretKey(z85:)` accept exactly the valid 40-character
//   texts, and give the same text back.

/// RFC 32's alphabet, written out here rather than taken from the library.
private let referenceAlphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)

private let referenceDigits: [Unicode.Scalar: UInt64] = {
    var digits: [Unicode.Scalar: UInt64] = [:]
    for (value, scalar) in referenceAlphabet.enumerated() { digits[scalar] = UInt64(value) }
    return digits
}()

/// RFC 32 decoding, or `nil` for text that is not Z85.
private func referenceDecode(_ text: String) -> [UInt8]? {
    let scalars = Array(text.unicodeScalars)
    guard scalars.count % 5 == 0 else { return nil }
    var bytes: [UInt8] = []
    var start = 0
    while start < scalars.count {
        var value: UInt64 = 0
        for scalar in scalars[start..<(start + 5)] {
            guard let digit = referenceDigits[scalar] else { return nil }
            value = value * 85 + digit
        }
        guard value <= UInt64(UInt32.max) else { return nil }
        bytes += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        start += 5
    }
    return bytes
}

/// RFC 32 encoding of a multiple of 4 bytes.
private func referenceEncode(_ bytes: [UInt8]) -> String {
    var text = String.UnicodeScalarView()
    var start = 0
    while start < bytes.count {
        var value = UInt64(bytes[start]) << 24 | UInt64(bytes[start + 1]) << 16 | UInt64(bytes[start + 2]) << 8 | UInt64(bytes[start + 3])
        var group: [Unicode.Scalar] = []
        for _ in 0..<5 {
            group.append(referenceAlphabet[Int(value % 85)])
            value /= 85
        }
        text.append(contentsOf: group.reversed())
        start += 4
    }
    return String(text)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZ85(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    let text = String(decoding: bytes, as: UTF8.self)
    let expected = referenceDecode(text)

    // Decoding, against the reference.
    do {
        let decoded = try Z85.decode(text)
        require(expected != nil, "invalid Z85 text of \(text.unicodeScalars.count) characters was decoded")
        require(decoded == expected!, "decoded differently from RFC 32")
        require((try? Z85.encode(decoded)) == text, "valid text did not survive decode → encode")
    } catch {
        require(expected == nil, "valid Z85 text of \(text.unicodeScalars.count) characters was refused: \(error)")
        require(error == .invalidArgument, "refused with \(error), not invalidArgument")
        if text.count >= 20 {
            require(!(error.reason ?? "").contains(text) && !error.description.contains(text), "the error quotes the text")
        }
    }

    // A Substring decodes as the equal String does.
    let tail = text.dropFirst()
    require((try? Z85.decode(tail)) == (try? Z85.decode(String(tail))), "a Substring decoded differently from its String")

    // Encoding: the bytes, cut to a multiple of 4, against the reference; any other length
    // is refused.
    let whole = Array(bytes.prefix(bytes.count / 4 * 4))
    do {
        let encoded = try Z85.encode(whole)
        require(encoded == referenceEncode(whole), "encoded differently from RFC 32")
        require((try? Z85.decode(encoded)) == whole, "bytes did not survive encode → decode")
    } catch {
        fatalError("property failed: \(whole.count) bytes (a multiple of 4) were refused: \(error)")
    }
    if bytes.count % 4 != 0 {
        do {
            _ = try Z85.encode(bytes)
            fatalError("property failed: \(bytes.count) bytes (not a multiple of 4) were encoded")
        } catch {
            require(error == .invalidArgument, "refused with \(error), not invalidArgument")
        }
    }

    // The key types take exactly the valid 40-character texts.
    let isKeyText = expected?.count == 32
    let publicKey = try? CurvePublicKey(z85: text)
    require((publicKey != nil) == isKeyText, "CurvePublicKey(z85:) \(isKeyText ? "refused" : "accepted") \(text.unicodeScalars.count) characters")
    require(publicKey == nil || publicKey!.z85 == text, "a public key's text changed")
    let secretKey = try? CurveSecretKey(z85: text)
    require((secretKey != nil) == isKeyText, "CurveSecretKey(z85:) \(isKeyText ? "refused" : "accepted") \(text.unicodeScalars.count) characters")
    require(secretKey == nil || secretKey!.revealedZ85 == text, "a secret key's text changed")
    return 0
}
