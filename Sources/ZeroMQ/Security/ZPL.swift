// ZPL, the ZeroMQ Property Language (rfc.zeromq.org/spec/4), the text format of CURVE
// certificate files. This reader follows the RFC and czmq's `zconfig`, which reads and writes
// the certificates that czmq's `zcert` and pyzmq's `zmq.auth` make:
//
// - Lines end with LF, CRLF or a lone CR. A UTF-8 byte order mark at the start is skipped.
// - Each level of the hierarchy is indented 4 spaces more than its parent; indentation by a
//   number of spaces that is not a multiple of 4, by tabs, or by more than one level at once
//   is an error.
// - A line is `name`, `name = value` or `name = "value"` (or single quotes), optionally
//   followed by a `#` comment. A name is made of letters, digits and `$-_@.&+/`, and neither
//   begins nor ends with `/`. An unquoted value runs up to a `#` and loses its trailing
//   whitespace; a quoted value keeps everything up to the closing quote, and only whitespace
//   or a comment may follow it. Quotes cannot be escaped.
// - A line whose first non-blank character is `#` is a comment, wherever it is indented.
// - A quoted value that is never closed is an error, as in czmq (the RFC would read it as an
//   unquoted value that starts with a quote; for a key that would only fail later, and less
//   clearly).
// - Control characters (other than tab) are refused, and values must be valid UTF-8.
//
// Error messages never quote the text of a line: in a certificate file it may be a secret key.

/// One `name = value` line of a ZPL document.
internal struct ZPLProperty: Sendable, Equatable {
    /// The property's name.
    var name: String
    /// The value, without its quotes; empty when the line has none.
    var value: String
    /// The line number, counted from 1.
    var line: Int
    /// The depth in the hierarchy: 0 for a top-level property.
    var level: Int
    /// The index of the parent property in the document's list, or `nil` at the top level.
    var parent: Int?
}

/// A syntax error in a ZPL document.
internal struct ZPLSyntaxError: Error, Sendable, Equatable {
    /// The line number, counted from 1.
    var line: Int
    /// What is wrong, without quoting the line.
    var reason: String
}

/// Reads and writes ZPL text.
internal enum ZPL {
    /// Parses a ZPL document.
    ///
    /// - Parameter bytes: The document's bytes, in any encoding of lines.
    /// - Returns: Every property, in document order, each knowing its parent.
    /// - Throws: ``ZPLSyntaxError`` for the first malformed line.
    static func parse(_ bytes: some Collection<UInt8>) throws(ZPLSyntaxError) -> [ZPLProperty] {
        let text = Array(bytes)
        var properties: [ZPLProperty] = []
        // The index of the latest property at each level, from the top down.
        var openProperties: [Int] = []
        var start = 0
        // Skip a UTF-8 byte order mark, which some editors write.
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var lineNumber = 0
        while start < text.count {
            lineNumber += 1
            var end = start
            while end < text.count && text[end] != lineFeed && text[end] != carriageReturn { end += 1 }
            var next = end + 1
            if end < text.count && text[end] == carriageReturn && next < text.count && text[next] == lineFeed {
                next += 1
            }
            if let property = try parseLine(text[start..<end], number: lineNumber) {
                guard property.level <= openProperties.count else {
                    throw ZPLSyntaxError(line: lineNumber, reason: openProperties.isEmpty
                        ? "indented, but there is no property above it to belong to"
                        : "indented more than one level (4 spaces) deeper than the line above")
                }
                openProperties.removeSubrange(property.level...)
                var placed = property
                placed.parent = openProperties.last
                openProperties.append(properties.count)
                properties.append(placed)
            }
            start = next
        }
        return properties
    }

    /// Parses one line, without its line ending.
    ///
    /// - Returns: The property on the line, or `nil` for a blank or comment line.
    private static func parseLine(_ line: ArraySlice<UInt8>, number: Int) throws(ZPLSyntaxError) -> ZPLProperty? {
        func failure(_ reason: String) -> ZPLSyntaxError { ZPLSyntaxError(line: number, reason: reason) }

        if let bad = line.firstIndex(where: { ($0 < 0x20 && $0 != tab) || $0 == 0x7F }) {
            let code = String(line[bad], radix: 16, uppercase: true)
            throw failure("control character 0x\(code.count == 1 ? "0" : "")\(code) in column \(bad - line.startIndex + 1)")
        }
        // Trailing whitespace never matters outside quotes, and a quoted value ends at its quote.
        var end = line.endIndex
        while end > line.startIndex && isBlank(line[end - 1]) { end -= 1 }
        var position = line.startIndex
        while position < end && isBlank(line[position]) { position += 1 }
        // A blank line, or a comment (however it is indented).
        if position == end || line[position] == hash { return nil }
        let indentation = position - line.startIndex
        if line[line.startIndex..<position].contains(tab) {
            throw failure("indented with a tab; ZPL indents with 4 spaces per level")
        }
        guard indentation % 4 == 0 else {
            throw failure("indented by \(indentation) space\(indentation == 1 ? "" : "s"); ZPL indents with 4 spaces per level")
        }

        let nameStart = position
        while position < end && isNameCharacter(line[position]) { position += 1 }
        guard position > nameStart else {
            throw failure("expected a name (letters, digits and $-_@.&+/) at column \(nameStart - line.startIndex + 1)")
        }
        let name = String(decoding: line[nameStart..<position], as: UTF8.self)
        if name.hasPrefix("/") || name.hasSuffix("/") {
            throw failure("a name cannot begin or end with '/'")
        }
        while position < end && isBlank(line[position]) { position += 1 }

        var value: ArraySlice<UInt8> = []
        if position < end && line[position] == equals {
            position += 1
            while position < end && isBlank(line[position]) { position += 1 }
            if position < end && (line[position] == doubleQuote || line[position] == singleQuote) {
                let quote = line[position]
                guard let closing = line[(position + 1)..<end].firstIndex(of: quote) else {
                    throw failure("the value's opening quote (\(quote == doubleQuote ? "\"" : "'")) is never closed")
                }
                value = line[(position + 1)..<closing]
                position = closing + 1
                while position < end && isBlank(line[position]) { position += 1 }
                guard position == end || line[position] == hash else {
                    throw failure("unexpected text after the quoted value, at column \(position - line.startIndex + 1)")
                }
            } else {
                // An unquoted value runs up to a comment, without the whitespace before it.
                var valueEnd = line[position..<end].firstIndex(of: hash) ?? end
                while valueEnd > position && isBlank(line[valueEnd - 1]) { valueEnd -= 1 }
                value = line[position..<valueEnd]
            }
        } else if position < end && line[position] != hash {
            throw failure("expected '=' after the name, at column \(position - line.startIndex + 1)")
        }
        guard let decoded = String(validating: value, as: UTF8.self) else {
            throw failure("the value is not valid UTF-8")
        }
        return ZPLProperty(name: name, value: decoded, line: number, level: indentation / 4, parent: nil)
    }

    // MARK: Writing

    /// Whether a name can be written: not empty, only name characters, and no `/` at either
    /// end.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isNameCharacter) && !name.hasPrefix("/") && !name.hasSuffix("/")
    }

    /// Why a value cannot be written in ZPL, or `nil` if it can.
    static func problem(writing value: String) -> String? {
        if value.utf8.contains(where: { ($0 < 0x20 && $0 != tab) || $0 == 0x7F }) {
            return "contains a line break or another control character"
        }
        if value.utf8.contains(doubleQuote) && value.utf8.contains(singleQuote) {
            return "contains both kinds of quote (ZPL has no escapes)"
        }
        return nil
    }

    /// A `name = "value"` line, indented to `level`, quoted with `"` unless the value holds
    /// one (then `'`). The caller has checked the name and value.
    static func propertyLine(_ name: String, _ value: String, level: Int) -> String {
        let quote = value.utf8.contains(doubleQuote) ? "'" : "\""
        return String(repeating: " ", count: level * 4) + "\(name) = \(quote)\(value)\(quote)\n"
    }

    // MARK: Characters

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let tab = UInt8(ascii: "\t")
    private static let space = UInt8(ascii: " ")
    private static let hash = UInt8(ascii: "#")
    private static let equals = UInt8(ascii: "=")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let singleQuote = UInt8(ascii: "'")

    private static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// The RFC's name characters: ALPHA, DIGIT and `$-_@.&+/`.
    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "$"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "."),
             UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
