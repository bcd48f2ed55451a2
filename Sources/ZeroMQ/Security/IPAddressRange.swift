#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address, or a block of addresses in CIDR notation, that an ``AuthenticationPolicy``
/// allows or denies.
///
/// Write one address (`"127.0.0.1"`, `"::1"`) or a block (`"10.0.0.0/8"`, `"fd00::/8"`):
///
/// ```swift
/// let policy = AuthenticationPolicy(
///     allowedAddresses: [try IPAddressRange("10.0.0.0/8"), try IPAddressRange("::1")])
/// ```
///
/// IPv4 and IPv6 meet where they overlap: an IPv4 range also matches the same addresses
/// written as IPv4-mapped IPv6 (`::ffff:10.1.2.3`, which is how a peer appears to a socket
/// with ``SocketOption/ipv6`` on), an IPv4-mapped IPv6 range is read as the IPv4 range it
/// stands for, and an IPv6 range that takes in the whole IPv4-mapped block `::ffff:0:0/96`
/// (such as `::/0`) matches every IPv4 address, however it is written. A zone index on a
/// peer's address (`fe80::1%eth0`) is ignored.
///
/// Peers on `ipc://` have no IP address (libzmq reports the peer's user, group and process
/// ids instead), and `inproc://` peers are never authenticated: no range matches either.
///
/// A range is a value and is safe to share between threads.
///
/// The corresponding C function is `inet_pton`.
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the range, 4 bytes for IPv4 or 16 for IPv6, host bits zero.
    private let network: [UInt8]

    /// How many leading bits an address must share with the range: 0 to 32 for IPv4, 0 to
    /// 128 for IPv6. A single address has the full length.
    public let prefixLength: Int

    /// Whether this is an IPv6 range: one that no IPv4 address falls in, unless it takes in
    /// the whole IPv4-mapped block `::ffff:0:0/96` (as `::/0` does).
    public var isIPv6: Bool { network.count == 16 }

    /// Creates a range from its text: an IPv4 or IPv6 address, optionally followed by `/`
    /// and a prefix length.
    ///
    /// - Parameter text: Such as `"192.168.1.7"`, `"10.0.0.0/8"`, `"::1"` or `"fd00::/8"`.
    /// - Throws: ``ZMQError/invalidArgument`` when the text is not an address, the prefix
    ///   length is out of range, or the address has bits set past the prefix
    ///   (`"10.1.0.0/8"`, which is ambiguous: write `"10.0.0.0/8"` or `"10.1.0.0/16"`). The
    ///   error's ``ZMQError/reason`` says which.
    ///
    /// The corresponding C function is `inet_pton`.
    public init(_ text: String) throws(ZMQError) {
        func refuse(_ reason: String) -> ZMQError {
            ZMQError(.invalidArgument, context: ErrorContext(
                action: .call("IPAddressRange(\(text.debugDescription))"), reason: reason))
        }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = parseIPAddress(String(parts[0])) else {
            throw refuse("not an IPv4 or IPv6 address")
        }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ ("0"..."9").contains($0) }),
                  let prefix = Int(parts[1]), (0...bits).contains(prefix) else {
                throw refuse("the prefix length must be a number from 0 to \(bits)")
            }
            length = prefix
        }
        guard masked(address, to: length) == address else {
            throw refuse("the address has bits set past the /\(length) prefix")
        }
        (network, prefixLength) = unmapped(address, prefixLength: length)
    }

    /// Whether a peer's address, as libzmq reports it to a ZAP handler, is in this range.
    ///
    /// - Parameter address: An IPv4 or IPv6 address in text, such as `"127.0.0.1"`, `"::1"`,
    ///   `"::ffff:127.0.0.1"` or `"fe80::1%eth0"`. Anything that is not an IP address (an
    ///   `ipc://` peer's `"localhost:1000:1000:4242"`, an empty string) is in no range.
    /// - Returns: Whether the address falls in the range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = parseIPAddress(peerAddressWithoutZone(address)) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether an address in binary form (4 or 16 bytes) is in this range.
    internal func contains(bytes: [UInt8]) -> Bool {
        var (address, _) = unmapped(bytes, prefixLength: bytes.count * 8)
        if address.count == 4 && network.count == 16 {
            // An IPv6 range shorter than /96 may take in the mapped block (`::/0`, `::/80`):
            // an IPv4 peer is in it as `::ffff:a.b.c.d`. (A range of /96 or longer inside the
            // block was read as IPv4 when it was made.)
            address = ipv4MappedPrefix + address
        }
        guard address.count == network.count else { return false }
        return masked(address, to: prefixLength) == network
    }

    /// The range in its canonical text: the address alone for a single address
    /// (`"127.0.0.1"`, `"::1"`), otherwise `address/length` (`"10.0.0.0/8"`).
    ///
    /// The corresponding C function is `inet_ntop`.
    public var description: String {
        let text = formatIPAddress(network)
        return prefixLength == network.count * 8 ? text : "\(text)/\(prefixLength)"
    }
}

/// An address's bytes with every bit past `length` cleared.
private func masked(_ address: [UInt8], to length: Int) -> [UInt8] {
    var result = address
    for index in result.indices {
        let keep = min(max(length - index * 8, 0), 8)
        result[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
    }
    return result
}

/// The first 12 bytes of an IPv4-mapped IPv6 address, `::ffff:0:0/96`.
private let ipv4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) and prefix as the IPv4 address and prefix
/// they stand for; anything else unchanged.
private func unmapped(_ address: [UInt8], prefixLength: Int) -> ([UInt8], Int) {
    guard address.count == 16, prefixLength >= 96, Array(address[0..<12]) == ipv4MappedPrefix else {
        return (address, prefixLength)
    }
    return (Array(address[12..<16]), prefixLength - 96)
}

/// A peer address without an IPv6 zone index (`%eth0`) or brackets.
private func peerAddressWithoutZone(_ address: String) -> String {
    var text = Substring(address)
    if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
    if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
    return String(text)
}

/// The 4 or 16 bytes of an IPv4 or IPv6 address in text, or `nil` if it is neither.
internal func parseIPAddress(_ text: String) -> [UInt8]? {
    // inet_pton reads up to the NUL; a string with one inside must not pass as its prefix.
    guard !text.utf8.contains(0) else { return nil }
    var v4 = [UInt8](repeating: 0, count: 4)
    if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
    var v6 = [UInt8](repeating: 0, count: 16)
    if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
    return nil
}

/// The canonical text of a 4- or 16-byte address.
private func formatIPAddress(_ bytes: [UInt8]) -> String {
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    let family = bytes.count == 4 ? AF_INET : AF_INET6
    guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else {
        return bytes.map(String.init).joined(separator: ".")
    }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
