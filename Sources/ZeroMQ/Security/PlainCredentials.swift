/// The usernames and passwords an ``Authenticator`` accepts from PLAIN clients.
///
/// Write it as a dictionary from username to password:
///
/// ```swift
/// let users: PlainCredentials = ["alice": "correct horse", "bob": "battery staple"]
/// try authenticator.setPolicy(.plain(users))
/// ```
///
/// Usernames and passwords are compared byte for byte in UTF-8 (no Unicode normalization), and
/// a password is compared in time that does not depend on where it differs from the right one
/// (only whether the lengths match shows). An unknown username is compared against a decoy,
/// so it takes about as long as a wrong password.
///
/// Passwords never print: `print`, string interpolation, `debugPrint` and `dump` show the
/// usernames only. PLAIN sends the password in clear text, so use it only on networks you
/// trust, or where the transport is otherwise protected.
///
/// A credentials table is a value and is safe to share between threads.
public struct PlainCredentials: Equatable, Sendable, ExpressibleByDictionaryLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The outcome of checking a username and password.
    internal enum Check: Equatable {
        case accepted, unknownUser, wrongPassword
    }

    /// Passwords by username, both as UTF-8 bytes.
    private var passwords: [[UInt8]: [UInt8]]

    /// Creates a table from usernames and their passwords.
    ///
    /// - Parameter passwords: The password of each username.
    public init(_ passwords: [String: String] = [:]) {
        var table: [[UInt8]: [UInt8]] = [:]
        for (username, password) in passwords { table[Array(username.utf8)] = Array(password.utf8) }
        self.passwords = table
    }

    /// Creates a table from a dictionary literal of usernames and passwords; a username given
    /// twice keeps its last password.
    ///
    /// - Parameter elements: The usernames and passwords.
    public init(dictionaryLiteral elements: (String, String)...) {
        var table: [[UInt8]: [UInt8]] = [:]
        for (username, password) in elements { table[Array(username.utf8)] = Array(password.utf8) }
        self.passwords = table
    }

    /// The usernames, sorted.
    public var usernames: [String] {
        passwords.keys.map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// The number of users.
    public var count: Int { passwords.count }

    /// Whether there are no users (every PLAIN client is then refused).
    public var isEmpty: Bool { passwords.isEmpty }

    /// Adds a user, or changes the password of one.
    ///
    /// - Parameters:
    ///   - password: The password.
    ///   - username: The username.
    public mutating func setPassword(_ password: String, forUser username: String) {
        passwords[Array(username.utf8)] = Array(password.utf8)
    }

    /// Removes a user.
    ///
    /// - Parameter username: The username.
    /// - Returns: Whether the user was in the table.
    @discardableResult
    public mutating func removeUser(_ username: String) -> Bool {
        passwords.removeValue(forKey: Array(username.utf8)) != nil
    }

    /// Whether the table holds this username with this password.
    ///
    /// - Parameters:
    ///   - username: The username.
    ///   - password: The password, compared in time that does not depend on its contents.
    /// - Returns: Whether both match.
    public func accepts(username: String, password: String) -> Bool {
        check(username: Array(username.utf8), password: Array(password.utf8)) == .accepted
    }

    /// Checks raw credentials as a PLAIN client sent them.
    internal func check(username: [UInt8], password: [UInt8]) -> Check {
        guard let expected = passwords[username] else {
            // Spend the same time as for a known user, so timing tells nothing more.
            _ = constantTimeEquals(password, Self.decoy)
            return .unknownUser
        }
        return constantTimeEquals(password, expected) ? .accepted : .wrongPassword
    }

    /// What an unknown user's password is compared with.
    private static let decoy = [UInt8](repeating: 0x5A, count: 32)

    /// `PlainCredentials(users: alice, bob; passwords redacted)`.
    public var description: String {
        "PlainCredentials(users: \(usernames.joined(separator: ", ")); passwords redacted)"
    }

    /// `PlainCredentials(users: alice, bob; passwords redacted)`.
    public var debugDescription: String { description }

    /// A mirror showing the usernames only.
    public var customMirror: Mirror {
        Mirror(self, children: ["usernames": usernames], displayStyle: .struct)
    }
}

/// Compares a presented secret with the expected one in time that does not depend on their
/// contents: every byte is looked at, wherever they differ. Only whether the lengths match
/// can be told apart, as with pyzmq's and Go's constant-time comparisons.
internal func constantTimeEquals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
    // With lengths that differ, the same work is done on the presented secret alone.
    let sameLength = presented.count == expected.count
    let other = sameLength ? expected : presented
    var difference: UInt8 = sameLength ? 0 : 1
    for index in presented.indices { difference |= presented[index] ^ other[index] }
    return difference == 0
}
