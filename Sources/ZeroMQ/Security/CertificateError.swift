#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a certificate file could not be read, written or understood: the file, the line
/// when there is one, and what is wrong.
///
/// The description reads as one line, in the style of a compiler's diagnostics:
///
/// ```text
/// certs/server.key_secret:5: secret-key is not a valid Z85 key (character 7 is not in the Z85 alphabet)
/// certs/server.key_secret: the secret key file can be read or written by group or others (mode 0644); run chmod 600 certs/server.key_secret
/// certs/client.key: cannot open the file: No such file or directory (errno 2)
/// ```
///
/// A secret never appears in a certificate error: errors name what is wrong and where, and
/// never quote the text of the file.
///
/// A certificate error is a value and is safe to share between threads.
public struct CertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the error is about: the file read or written, the folder listed, or the
    /// label given to ``CurveCertificate/init(parsing:path:)-(String,_)``.
    public var path: String

    /// The line of the file the error is on, counted from 1, or `nil` when the error is not
    /// about one line (a missing key, a file that can't be opened).
    public var line: Int?

    /// What is wrong.
    public var kind: Kind

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: What is wrong.
    ///   - path: The file the error is about.
    ///   - line: The line, counted from 1, if the error is about one line.
    public init(_ kind: Kind, path: String, line: Int? = nil) {
        self.kind = kind
        self.path = path
        self.line = line
    }

    /// What went wrong with a certificate file.
    public enum Kind: Sendable, Equatable {
        /// A file-system call failed, with the error number (`errno`) it set, such as
        /// `ENOENT` when the file does not exist or `EACCES` when it may not be read.
        case fileSystem(FileOperation, errorNumber: CInt)
        /// The path names something other than a regular file, such as a folder.
        case notRegularFile
        /// The file is larger than a certificate can be (``CurveCertificate/maximumFileSize``).
        case fileTooLarge(byteCount: Int)
        /// The file is not valid ZPL (bad indentation, an unterminated quote, a control
        /// character, …); the text says what is wrong, without quoting the line.
        case syntax(String)
        /// The file has no `public-key` in a `curve` section.
        case missingPublicKey
        /// A `public-key` or `secret-key` (the associated name) is outside the `curve`
        /// section, or another property's name begins with `public-key` or `secret-key`
        /// (pyzmq's `load_certificate` reads any such line as the key, so the file could mean
        /// one key here and another there).
        case misplacedKey(name: String)
        /// A section or key appears twice, so the file is ambiguous; the associated values
        /// say what (such as "secret-key" or "a metadata name") and the line of the first.
        case duplicate(String, firstLine: Int)
        /// A key (`public-key` or `secret-key`) is not 40 characters of valid Z85; the reason
        /// says what is wrong, such as "character 7 is not in the Z85 alphabet".
        case invalidKey(name: String, reason: String)
        /// The `secret-key` is not the secret key of the `public-key`.
        case mismatchedKeys
        /// The secret key file is open to its group or to others (mode bits `077`), and the
        /// certificate was loaded without `allowingInsecurePermissions`. The mode is the
        /// file's permission bits, such as `0o644`.
        case insecurePermissions(mode: UInt32)
        /// The secret key file belongs to another user (the associated user id), who can read
        /// or replace it, and the certificate was loaded without
        /// `allowingInsecurePermissions`. A secret file must belong to the user running the
        /// program, or to root. The check is made on the file a symbolic link leads to.
        case untrustedOwner(userID: UInt32)
        /// A secret file was asked for, but the certificate has only a public key.
        case missingSecretKey
        /// Metadata that can't be written in a certificate file: a name that is not a ZPL
        /// name, or a value with a line break. The text says which entry, by position.
        case invalidMetadata(String)
        /// A certificate name for ``CurveCertificate/save(inDirectory:name:)`` that is not a
        /// plain file name (empty, or containing `/`).
        case invalidName
        /// libzmq was built without CURVE, so a secret key can't be checked against its
        /// public key.
        case curveNotSupported
    }

    /// The file-system operation that failed.
    public enum FileOperation: String, Sendable, Equatable {
        /// Opening a file to read it.
        case open
        /// Reading an open file.
        case read
        /// Examining a file or folder (`stat`).
        case status
        /// Listing a folder.
        case list
        /// Creating the temporary file a certificate is first written to.
        case create
        /// Writing or flushing a file.
        case write
        /// Setting a file's permissions.
        case setPermissions
        /// Moving the written file into place.
        case rename
    }

    /// What is wrong, without the path and line: the part of ``description`` after them.
    public var reason: String {
        switch kind {
        case let .fileSystem(operation, errorNumber):
            let what = switch operation {
            case .open: "cannot open the file"
            case .read: "cannot read the file"
            case .status: "cannot examine the file"
            case .list: "cannot list the folder"
            case .create: "cannot create the file"
            case .write: "cannot write the file"
            case .setPermissions: "cannot set the file's permissions"
            case .rename: "cannot move the written file into place"
            }
            return "\(what): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
        case .notRegularFile:
            return "is not a regular file"
        case let .fileTooLarge(byteCount):
            return "is \(byteCount) bytes, too large for a certificate (at most \(CurveCertificate.maximumFileSize))"
        case let .syntax(reason):
            return reason
        case .missingPublicKey:
            return "no public key: a certificate has public-key = \"…\" in its curve section"
        case let .misplacedKey(name):
            if name == "public-key" || name == "secret-key" {
                return "\(name) is outside the curve section, or appears there below another property"
            }
            return "the name \(name) begins like a key, and pyzmq would read it as one"
        case let .duplicate(what, firstLine):
            return "\(what) appears twice (first at line \(firstLine))"
        case let .invalidKey(name, reason):
            return "\(name) is not a valid Z85 key (\(reason))"
        case .mismatchedKeys:
            return "secret-key does not belong to public-key"
        case let .insecurePermissions(mode):
            return "the secret key file can be read or written by group or others (mode \(Self.octal(mode))); "
                + "run chmod 600 \(path)"
        case let .untrustedOwner(userID):
            return "the secret key file belongs to another user (uid \(userID)), who can read or replace it; "
                + "it must belong to the user running this program (uid \(geteuid())) or to root"
        case .missingSecretKey:
            return "the certificate has no secret key to write"
        case let .invalidMetadata(reason):
            return reason
        case .invalidName:
            return "a certificate name is a plain file name: not empty, without '/'"
        case .curveNotSupported:
            return "cannot check that secret-key belongs to public-key: libzmq was built without CURVE"
        }
    }

    /// The error on one line: `path:line: reason`, or `path: reason` when no line applies.
    public var description: String {
        if let line { "\(path):\(line): \(reason)" } else { "\(path): \(reason)" }
    }

    /// Permission bits as four octal digits, such as `0644`.
    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
