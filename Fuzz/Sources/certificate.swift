// Fuzz target: the certificate-file parser (`CurveCertificate(parsing:path:)`, which
// `CurveCertificate(contentsOf:)` uses after reading the file).
//
// Input: the file's bytes.
//
// Properties:
// - any input gives a certificate or a `CertificateError`, never a crash, a hang or a leak;
// - the error names the path given, its line (when it has one) is a line of the input, and
//   neither the error nor the certificate's description shows the secret key's text;
// - a certificate with a secret key has the key pair of its public key;
// - a parsed certificate written back as a file (the text `save` writes) parses to an equal
//   certificate: what is read can be written and read again, except metadata values with
//   both kinds of quote, which saving refuses (as `CurveCertificate.Metadata` documents).

private let path = "fuzz/NAME.key_secret"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    // The input's lines, for the error's line number (LF, CRLF and CR all end a line).
    let lineCount = 1 + bytes.indices.filter { index in
        bytes[index] == 0x0A || (bytes[index] == 0x0D && (index + 1 == bytes.count || bytes[index + 1] != 0x0A))
    }.count
    let secrets = secretTexts(in: bytes)

    let certificate: CurveCertificate
    do {
        certificate = try CurveCertificate(parsing: bytes, path: path)
    } catch {
        require(error.path == path, "the error names \(error.path), not \(path)")
        if let line = error.line {
            require(line >= 1 && line <= lineCount, "the error is on line \(line) of \(lineCount)")
        }
        let description = error.description
        for secret in secrets {
            require(occurrences(of: Array(secret.utf8), in: Array(description.utf8)) == 0, "the error shows the secret key")
        }
        return 0
    }

    if let keyPair = certificate.keyPair {
        require(keyPair.publicKey == certificate.publicKey, "the key pair is not the certificate's public key's")
        // Unless the file also has the same text elsewhere, as a metadata value, say (public).
        let secret = Array(keyPair.secretKey.revealedZ85.utf8)
        require(occurrences(of: secret, in: bytes) > 1 || occurrences(of: secret, in: Array(certificate.description.utf8)) == 0,
                "the description shows the secret key")
    }
    for secret in secrets {
        require(occurrences(of: Array(secret.utf8), in: Array(certificate.description.utf8)) == 0,
                "the description shows a secret key's text")
    }

    // Written back and read again. The one documented exception: a metadata value holding
    // both kinds of quote (which a file can hold unquoted) is refused when saving.
    let text: String
    do {
        text = try CertificateFile.text(of: certificate, includingSecret: certificate.keyPair != nil, path: path)
    } catch {
        // Bytes, not Characters: a quote followed by a combining mark is another Character.
        let bothQuotes = certificate.metadata.contains {
            $0.value.utf8.contains(UInt8(ascii: "\"")) && $0.value.utf8.contains(UInt8(ascii: "'"))
        }
        guard case .invalidMetadata = error.kind, bothQuotes else {
            fatalError("property failed: a parsed certificate cannot be written: \(error)")
        }
        return 0
    }
    do {
        let reread = try CurveCertificate(parsing: text, path: path)
        require(reread == certificate, "the certificate changed when written and read again")
    } catch {
        fatalError("property failed: a written certificate cannot be read again: \(error)")
    }
    return 0
}

/// The value of each `secret-key` property (a line whose name, after the indentation, is
/// `secret-key`) that looks like a key, 40 characters of the Z85 alphabet, and appears nowhere
/// else in the file (so that no other part of the file, such as a property's name, can
/// legitimately show the same text in an error).
private func secretTexts(in bytes: [UInt8]) -> [String] {
    let text = String(decoding: bytes, as: UTF8.self)
    var secrets: [String] = []
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
        guard let equals = line.firstIndex(of: "="),
              line[..<equals].trimmingCharacters() == "secret-key" else { continue }
        var value = line[line.index(after: equals)...].trimmingCharacters()
        if let first = value.first, first == "\"" || first == "'" {
            value = String(value.dropFirst())
            if let end = value.firstIndex(of: first) { value = String(value[..<end]) }
        }
        guard value.unicodeScalars.count == 40, value.unicodeScalars.allSatisfy(z85Alphabet.contains),
              occurrences(of: Array(value.utf8), in: bytes) == 1 else { continue }
        secrets.append(value)
    }
    return secrets
}

/// How many times `needle` appears in `haystack` (overlapping ones too).
private func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, needle.count <= haystack.count else { return 0 }
    return (0...(haystack.count - needle.count)).count { start in
        haystack[start..<(start + needle.count)].elementsEqual(needle)
    }
}

private let z85Alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)

private extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingCharacters() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
