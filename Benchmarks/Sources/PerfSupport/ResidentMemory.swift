#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The resident memory of this process in KiB: the second field of `/proc/self/statm` (pages
/// in RAM) times the page size, or `nil` where there is no such file.
///
/// It reads the file with `open`/`read` into a stack buffer, so that measuring allocates
/// nothing and cannot move the number it reads.
public func residentMemoryKiB() -> Int? {
    let descriptor = open("/proc/self/statm", O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer -> Int? in
        var length = 0
        while length < buffer.count {
            let got = read(descriptor, buffer.baseAddress! + length, buffer.count - length)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            length += got
        }
        // "size resident shared text lib data dt", in pages.
        var field = 0
        var value = 0
        var inNumber = false
        for index in 0..<length {
            let byte = buffer[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if !inNumber { inNumber = true; value = 0 }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            } else if inNumber {
                inNumber = false
                if field == 1 { return value * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024 }
                field += 1
            }
        }
        return nil
    }
}
