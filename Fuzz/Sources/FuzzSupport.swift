// Shared by the fuzz targets, which are compiled together with the library's sources into one
// module (see Fuzz/fuzz.sh), so that they reach the internal functions the library itself
// decodes with.

#if canImport(Glibc)
import Glibc
#endif

/// The fuzzer's input, read front to back as fields; reading past the end yields empty or
/// zero fields, so that every input decodes to something.
struct FuzzInput {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// The next byte, or 0 at the end.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A 16-bit little-endian number, 0 at the end.
    mutating func uint16() -> UInt16 {
        UInt16(byte()) | UInt16(byte()) << 8
    }

    /// The next `count` bytes, or as many as are left.
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// Everything left.
    mutating func rest() -> [UInt8] { take(bytes.count - offset) }
}

/// Stops the run on a property that does not hold: libFuzzer sees the trap and saves the
/// input as a crash.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("property failed: \(message())", file: file, line: line)
    }
}
