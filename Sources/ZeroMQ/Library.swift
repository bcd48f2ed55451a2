internal import CZeroMQ

/// Facts about the libzmq library this program is linked against.
///
/// These are read from libzmq at run time, so they describe the installed library, not the
/// headers the binding was compiled with.
public enum ZeroMQLibrary {
    /// The version of the linked libzmq, such as `4.3.4`.
    ///
    /// The corresponding C function is `zmq_version`.
    public static var version: Version {
        var major: CInt = 0, minor: CInt = 0, patch: CInt = 0
        zmq_version(&major, &minor, &patch)
        return Version(major: Int(major), minor: Int(minor), patch: Int(patch))
    }

    /// Tells whether libzmq was built with a capability.
    ///
    /// - Parameter capability: The capability to check, such as ``Capability/curve``.
    /// - Returns: `true` when the linked library supports it.
    ///
    /// The corresponding C function is `zmq_has`.
    public static func has(_ capability: Capability) -> Bool {
        zmq_has(capability.rawValue) != 0
    }

    /// A libzmq version number.
    public struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The major version.
        public var major: Int
        /// The minor version.
        public var minor: Int
        /// The patch version.
        public var patch: Int

        /// Creates a version from its three parts.
        public init(major: Int, minor: Int, patch: Int) {
            self.major = major
            self.minor = minor
            self.patch = patch
        }

        /// The version as `major.minor.patch`.
        public var description: String { "\(major).\(minor).\(patch)" }

        /// Orders versions by major, then minor, then patch.
        public static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
    }

    /// An optional capability of the libzmq build, as `zmq_has` names it.
    public struct Capability: RawRepresentable, Hashable, Sendable {
        /// The name libzmq uses for the capability, such as `"curve"`.
        public let rawValue: String

        /// Creates a capability from the name libzmq uses for it.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The `ipc://` transport.
        public static var ipc: Capability { Capability(rawValue: "ipc") }
        /// The `pgm://` and `epgm://` reliable multicast transports.
        public static var pgm: Capability { Capability(rawValue: "pgm") }
        /// The `tipc://` transport.
        public static var tipc: Capability { Capability(rawValue: "tipc") }
        /// The `norm://` transport.
        public static var norm: Capability { Capability(rawValue: "norm") }
        /// The CURVE security mechanism.
        public static var curve: Capability { Capability(rawValue: "curve") }
        /// The GSSAPI security mechanism.
        public static var gssapi: Capability { Capability(rawValue: "gssapi") }
        /// The draft API. Debian's libzmq is built without it; this binding links no draft symbol.
        public static var draft: Capability { Capability(rawValue: "draft") }

        /// Every capability libzmq 4.3 knows how to report.
        public static var allCases: [Capability] { [.ipc, .pgm, .tipc, .norm, .curve, .gssapi, .draft] }
    }
}
