import ArgumentParser

/// How zmqcat prints each message it receives: one line per message (except `raw`).
enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Each frame decoded as UTF-8 (invalid bytes become U+FFFD), frames joined by a tab.
    case text
    /// Each frame in double quotes with C-style escapes, frames separated by a space.
    case quoted
    /// Each frame in lowercase hex (an empty frame as `-`), frames separated by a space.
    case hex
    /// `{"frames": [...]}`: a JSON string per UTF-8 frame, `{"base64": "…"}` otherwise.
    case json
    /// The frames' bytes one after another, nothing added.
    case raw

    static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Writes messages in an ``OutputFormat`` into an ``OutputBuffer``, a frame at a time.
///
/// Frames are written as they are received, so a message is never gathered first: the
/// printer only remembers whether the next frame is the first of its message.
struct MessagePrinter {
    /// The format.
    let format: OutputFormat
    /// Whether the next frame starts a new message.
    private var atMessageStart = true

    /// Creates a printer.
    ///
    /// - Parameter format: The format to print in.
    init(format: OutputFormat) {
        self.format = format
    }

    /// Prints one frame of a message.
    ///
    /// - Parameters:
    ///   - frame: The frame's bytes.
    ///   - isLast: Whether it is the message's last frame, which ends the line.
    ///   - output: Where to write.
    /// - Throws: The errors of ``OutputBuffer/flush()``.
    mutating func print(_ frame: UnsafeRawBufferPointer, isLast: Bool, to output: inout OutputBuffer) throws {
        switch format {
        case .raw:
            try output.append(frame)
        case .text:
            if !atMessageStart { try output.append(UInt8(ascii: "\t")) }
            try Self.appendText(frame, to: &output)
            if isLast { try output.append(UInt8(ascii: "\n")) }
        case .quoted:
            if !atMessageStart { try output.append(UInt8(ascii: " ")) }
            try Self.appendQuoted(frame, to: &output)
            if isLast { try output.append(UInt8(ascii: "\n")) }
        case .hex:
            if !atMessageStart { try output.append(UInt8(ascii: " ")) }
            try Self.appendHex(frame, to: &output)
            if isLast { try output.append(UInt8(ascii: "\n")) }
        case .json:
            try output.append(atMessageStart ? "{\"frames\": [" : ", ")
            try Self.appendJSON(frame, to: &output)
            if isLast { try output.append("]}\n") }
        }
        atMessageStart = isLast
    }

    // MARK: - text

    /// The frame as UTF-8, each invalid sequence (its maximal subpart, as Unicode and Python
    /// decode) replaced by U+FFFD.
    static func appendText(_ frame: UnsafeRawBufferPointer, to output: inout OutputBuffer) throws {
        if isASCII(frame) {
            try output.append(frame)
            return
        }
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = frame.makeIterator()
        var runStart = 0
        var position = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar):
                position += scalar.count
            case .error(let length):
                try output.append(UnsafeRawBufferPointer(rebasing: frame[runStart..<position]))
                // U+FFFD REPLACEMENT CHARACTER.
                try output.reserve(3)
                output.appendUnchecked(0xEF)
                output.appendUnchecked(0xBF)
                output.appendUnchecked(0xBD)
                position += length
                runStart = position
            case .emptyInput:
                try output.append(UnsafeRawBufferPointer(rebasing: frame[runStart..<position]))
                return
            }
        }
    }

    /// Whether every byte is below 0x80, checked eight bytes at a time.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < count {
            if bytes[index] & 0x80 != 0 { return false }
            index += 1
        }
        return true
    }

    /// Whether the bytes are valid UTF-8 (no overlong forms, surrogates or values past
    /// U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if isASCII(bytes) { return true }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .error: return false
            case .emptyInput: return true
            }
        }
    }

    // MARK: - quoted

    /// The frame in double quotes: printable ASCII as it is except `"` and `\`, `\n` `\r`
    /// `\t` `\0` for those bytes, `\xHH` for every other byte.
    static func appendQuoted(_ frame: UnsafeRawBufferPointer, to output: inout OutputBuffer) throws {
        try output.append(UInt8(ascii: "\""))
        for byte in frame {
            try output.reserve(4)
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.appendEscape(byte)
            case UInt8(ascii: "\n"):
                output.appendEscape(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                output.appendEscape(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"):
                output.appendEscape(UInt8(ascii: "t"))
            case 0:
                output.appendEscape(UInt8(ascii: "0"))
            case 0x20...0x7E:
                output.appendUnchecked(byte)
            default:
                output.appendEscape(UInt8(ascii: "x"))
                output.appendUnchecked(hexDigit(byte >> 4))
                output.appendUnchecked(hexDigit(byte & 0x0F))
            }
        }
        try output.append(UInt8(ascii: "\""))
    }

    // MARK: - hex

    /// The frame in lowercase hex, or `-` when it is empty.
    static func appendHex(_ frame: UnsafeRawBufferPointer, to output: inout OutputBuffer) throws {
        if frame.isEmpty {
            try output.append(UInt8(ascii: "-"))
            return
        }
        for byte in frame {
            try output.reserve(2)
            output.appendUnchecked(hexDigit(byte >> 4))
            output.appendUnchecked(hexDigit(byte & 0x0F))
        }
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    // MARK: - json

    /// The frame as a JSON string when it is valid UTF-8, else as `{"base64": "…"}`.
    static func appendJSON(_ frame: UnsafeRawBufferPointer, to output: inout OutputBuffer) throws {
        guard isValidUTF8(frame) else {
            try output.append("{\"base64\": \"")
            try appendBase64(frame, to: &output)
            try output.append("\"}")
            return
        }
        try output.append(UInt8(ascii: "\""))
        for byte in frame {
            try output.reserve(6)
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.appendEscape(byte)
            case UInt8(ascii: "\n"):
                output.appendEscape(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                output.appendEscape(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"):
                output.appendEscape(UInt8(ascii: "t"))
            case 0x08:
                output.appendEscape(UInt8(ascii: "b"))
            case 0x0C:
                output.appendEscape(UInt8(ascii: "f"))
            case 0..<0x20:
                for character in "\\u00".utf8 { output.appendUnchecked(character) }
                output.appendUnchecked(hexDigit(byte >> 4))
                output.appendUnchecked(hexDigit(byte & 0x0F))
            default:
                output.appendUnchecked(byte)
            }
        }
        try output.append(UInt8(ascii: "\""))
    }

    /// Standard base64 (RFC 4648, with `+`, `/` and `=` padding).
    static func appendBase64(_ bytes: UnsafeRawBufferPointer, to output: inout OutputBuffer) throws {
        @inline(__always) func symbol(_ value: UInt32) -> UInt8 {
            switch value {
            case 0..<26: UInt8(ascii: "A") + UInt8(value)
            case 26..<52: UInt8(ascii: "a") + UInt8(value - 26)
            case 52..<62: UInt8(ascii: "0") + UInt8(value - 52)
            case 62: UInt8(ascii: "+")
            default: UInt8(ascii: "/")
            }
        }
        var index = 0
        let count = bytes.count
        while index < count {
            try output.reserve(4)
            let available = min(3, count - index)
            var group = UInt32(bytes[index]) << 16
            if available > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if available > 2 { group |= UInt32(bytes[index + 2]) }
            output.appendUnchecked(symbol(group >> 18 & 0x3F))
            output.appendUnchecked(symbol(group >> 12 & 0x3F))
            output.appendUnchecked(available > 1 ? symbol(group >> 6 & 0x3F) : UInt8(ascii: "="))
            output.appendUnchecked(available > 2 ? symbol(group & 0x3F) : UInt8(ascii: "="))
            index += 3
        }
    }
}
