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

    /// The file's bytes.
    ///
    /// - Parameter path: The file's path.
    /// - Returns: Its contents.
    /// - Throws: ``ReadError`` when it can't be opened or read (missing, a directory…).
    ///
    /// The corresponding C functions are `open` and `read`.
    static func read(_ path: String) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[..<count])
        }
    }

    private static func failure(_ path: String, _ code: CInt) -> ReadError {
        ReadError(description: "cannot read '\(path)': \(String(cString: strerror(code)))")
    }
}
