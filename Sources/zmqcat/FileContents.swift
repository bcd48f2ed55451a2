#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, for `--send-file`.
enum FileContents {
    /// A file that could not be read: its path and the system's reason.
    struct ReadError: Error, CustomStringConvertible {
        /// "cannot read '<path>': <reason>".
        let description: String
    }

    /// The largest file zmqcat reads: 1 GiB. A bigger one (`--send-file /dev/zero`) would
    /// exhaust memory, and the process would be killed rather than report it.
    static let maximumSize = 1 << 30

    /// The file's bytes.
    ///
    /// - Parameter path: The file's path.
    /// - Returns: Its contents.
    /// - Throws: ``ReadError`` when it can't be opened or read (missing, a directory…), or
    ///   holds more than ``maximumSize`` bytes.
    ///
    /// The corresponding C functions are `open` and `read`.
    static func bytes(atPath path: String) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            if count == 0 { return contents }
            guard contents.count + count <= maximumSize else {
                throw ReadError(description: "cannot read '\(path)': it holds more than \(maximumSize >> 30) GiB")
            }
            contents.append(contentsOf: chunk[..<count])
        }
    }

    private static func failure(_ path: String, _ code: CInt) -> ReadError {
        ReadError(description: "cannot read '\(path)': \(String(cString: strerror(code)))")
    }
}
