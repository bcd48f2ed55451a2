import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Plain TCP on loopback

/// Plain POSIX TCP sockets on 127.0.0.1, for tests that play a peer libzmq does not control:
/// a relay that stops forwarding (HeartbeatTests), a hostile client (HostilePeerTests).
///
/// Every wait is bounded, and every send passes `MSG_NOSIGNAL`, so a peer that hangs up
/// gives an error instead of a SIGPIPE.
enum LoopbackTCP {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    private static var streamType: Int32 {
        #if canImport(Glibc)
        Int32(SOCK_STREAM.rawValue)
        #else
        SOCK_STREAM
        #endif
    }

    private static var noSignal: Int32 {
        #if canImport(Glibc)
        Int32(MSG_NOSIGNAL)
        #else
        0
        #endif
    }

    /// The port of a `tcp://host:port` endpoint.
    static func port(of endpoint: String) -> UInt16? {
        endpoint.split(separator: ":").last.flatMap { UInt16($0) }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A listening socket on 127.0.0.1 with an ephemeral port.
    static func makeListener(backlog: Int32 = 64) throws -> (descriptor: Int32, port: UInt16) {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var address = loopback(port: 0)
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "bind and listen", code: code)
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "getsockname", code: code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one connection, waiting at most `timeout`; the new descriptor is blocking.
    static func acceptConnection(on listener: Int32, timeout: Duration) -> Int32? {
        guard waitFor(Int16(POLLIN), on: listener, timeout: timeout) else { return nil }
        let fd = accept(listener, nil, nil)
        return fd >= 0 ? fd : nil
    }

    /// Starts a non-blocking connect to 127.0.0.1:`port`; the connection may still be under
    /// way when this returns (see ``finishConnect(_:timeout:)``).
    static func startConnect(to port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            close(fd)
            throw Failure(call: "connect", code: code)
        }
        return fd
    }

    /// Waits until a connection started by ``startConnect(to:)`` is made.
    ///
    /// - Returns: Whether it was made within `timeout`.
    static func finishConnect(_ fd: Int32, timeout: Duration) -> Bool {
        guard waitFor(Int16(POLLOUT), on: fd, timeout: timeout) else { return false }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0
    }

    /// Connects to 127.0.0.1:`port` and returns a blocking descriptor.
    static func connectBlocking(to port: UInt16, timeout: Duration = testTimeout) throws -> Int32 {
        let fd = try startConnect(to: port)
        guard finishConnect(fd, timeout: timeout) else {
            close(fd)
            throw Failure(call: "connect to 127.0.0.1:\(port)", code: ETIMEDOUT)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Whether `events` happen on `fd` within `timeout`.
    static func waitFor(_ events: Int16, on fd: Int32, timeout: Duration) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: min(seconds, 1_000_000) * 1000 + attoseconds / 1_000_000_000_000_000)
        while true {
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready == 1
        }
    }

    /// Writes all of `bytes`, waiting (at most `testTimeout` each time) while the socket's
    /// buffer is full.
    ///
    /// - Returns: Whether everything was written.
    static func sendAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, noSignal | Int32(MSG_DONTWAIT))
            }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard waitFor(Int16(POLLOUT), on: fd, timeout: testTimeout) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// Writes what the socket takes of `bytes` now, without waiting.
    ///
    /// - Returns: The number of bytes written, or -1 on an error (such as a peer that hung up).
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal | Int32(MSG_DONTWAIT)) }
    }
}
