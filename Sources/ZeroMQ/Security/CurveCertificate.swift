#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A CURVE certificate: a public key, optionally the secret key that goes with it, and
/// metadata, as czmq's `zcert` and pyzmq's `zmq.auth` store them in files.
///
/// On disk a certificate is two files in the ZPL format (ZeroMQ RFC 4): `NAME.key` holds the
/// public key and is meant to be handed out, `NAME.key_secret` holds both keys and must stay
/// private. Files written by pyzmq's `zmq.auth.create_certificates` and czmq's `zcert_save`
/// load here, and the files written here load there.
///
/// ```swift
/// let server = try CurveCertificate.generate(metadata: ["host": "db1"])
/// try server.save(inDirectory: "certs", name: "server")   // certs/server.key, certs/server.key_secret (0600)
///
/// let loaded = try CurveCertificate(contentsOf: "certs/server.key_secret")
/// if let secretKey = loaded.secretKey {
///     try socket.setOption(.curveServer, true)
///     try socket.setOption(.curveSecretKey, secretKey)
/// }
/// let clients = try CurveCertificate.publicKeys(inDirectory: "certs/clients")
/// ```
///
/// Secrets stay secret: a secret file is created with mode 0600 and never exists with wider
/// permissions, loading a secret file that its group or others can read is refused unless
/// asked for, and printing, dumping or an error never shows the secret key. A certificate
/// can't hold a secret key that doesn't belong to its public key.
///
/// A certificate is a value and is safe to share between threads.
public struct CurveCertificate: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The largest certificate file that is read, in bytes (1 MiB). Certificates are a few
    /// hundred bytes; the limit keeps a wrong path (a log file, a device) from being read whole.
    public static let maximumFileSize = 1 << 20

    /// The public key.
    public let publicKey: CurvePublicKey

    /// The key pair, when the certificate has its secret key; `nil` for a public certificate.
    public let keyPair: CurveKeyPair?

    /// The metadata, such as the owner's email address. It is public, and saved in both files.
    public var metadata: Metadata

    /// Creates a certificate with a secret key.
    ///
    /// - Parameters:
    ///   - keyPair: The keys.
    ///   - metadata: The metadata; none by default.
    public init(keyPair: CurveKeyPair, metadata: Metadata = [:]) {
        self.publicKey = keyPair.publicKey
        self.keyPair = keyPair
        self.metadata = metadata
    }

    /// Creates a public certificate: a public key without its secret key.
    ///
    /// - Parameters:
    ///   - publicKey: The public key.
    ///   - metadata: The metadata; none by default.
    public init(publicKey: CurvePublicKey, metadata: Metadata = [:]) {
        self.publicKey = publicKey
        self.keyPair = nil
        self.metadata = metadata
    }

    /// Generates a certificate with a new random key pair.
    ///
    /// - Parameter metadata: The metadata; none by default.
    /// - Returns: The certificate, with its secret key.
    /// - Throws: ``ZMQError/notSupported`` if libzmq was built without CURVE.
    ///
    /// The corresponding C function is `zmq_curve_keypair`.
    public static func generate(metadata: Metadata = [:]) throws(ZMQError) -> CurveCertificate {
        CurveCertificate(keyPair: try CurveKeyPair.generate(), metadata: metadata)
    }

    /// The secret key, or `nil` for a public certificate.
    public var secretKey: CurveSecretKey? { keyPair?.secretKey }

    /// The certificate without its secret key: what to hand out.
    public var publicCertificate: CurveCertificate {
        CurveCertificate(publicKey: publicKey, metadata: metadata)
    }

    // MARK: Loading

    /// Loads a certificate file: a public one (`NAME.key`) or a secret one
    /// (`NAME.key_secret`).
    ///
    /// The file is read as ZPL (ZeroMQ RFC 4): a `curve` section with `public-key` and, in a
    /// secret file, `secret-key`, and an optional `metadata` section. Whether the certificate
    /// has a secret key depends on the contents, not on the file's name.
    ///
    /// A file with a secret key must not be open to its group or to others (any of the mode
    /// bits `077`), as ssh treats private keys: loading it is refused with
    /// ``CertificateError/Kind/insecurePermissions(mode:)`` unless
    /// `allowingInsecurePermissions` is true. Note that pyzmq's `create_certificates` writes
    /// its secret files with the default permissions (usually 0644): run `chmod 600` on
    /// them. A file with a secret key must also belong to the user running the program (or
    /// to root): one owned by another user, who can read it or put their own key in it, is
    /// refused with ``CertificateError/Kind/untrustedOwner(userID:)``. Both checks are made
    /// on the file opened and read (following symbolic links), so no other file can be
    /// swapped in between the check and the read.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - allowingInsecurePermissions: Whether to load a secret file that its group or others
    ///     can read or write, or that belongs to another user. `false` by default.
    /// - Throws: ``CertificateError`` naming the file, the line when there is one, and what
    ///   is wrong: a file that can't be read, malformed ZPL, a missing or invalid key, a
    ///   secret key that does not belong to the public key, insecure permissions, or another
    ///   owner. The error never shows the secret key.
    public init(contentsOf path: String, allowingInsecurePermissions: Bool = false) throws(CertificateError) {
        let (bytes, mode, owner) = try CertificateFile.readFile(path)
        self = try CertificateFile.certificate(parsing: bytes, path: path)
        guard keyPair != nil, !allowingInsecurePermissions else { return }
        if mode & 0o077 != 0 {
            throw CertificateError(.insecurePermissions(mode: mode), path: path)
        }
        // Whoever owns the file can read it or put their own key in it.
        if owner != UInt32(geteuid()) && owner != 0 {
            throw CertificateError(.untrustedOwner(userID: owner), path: path)
        }
    }

    /// Reads a certificate from the text of a certificate file.
    ///
    /// This is what ``init(contentsOf:allowingInsecurePermissions:)`` does after reading the
    /// file, without the file system. Any input gives a certificate or an error, never a
    /// crash.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents: UTF-8 text with LF, CRLF or CR line endings.
    ///   - path: What to call the text in errors, such as the file it came from.
    /// - Throws: ``CertificateError`` naming `path`, the line when there is one, and what is
    ///   wrong. The error never shows the secret key.
    public init(parsing bytes: some Collection<UInt8>, path: String) throws(CertificateError) {
        self = try CertificateFile.certificate(parsing: bytes, path: path)
    }

    /// Reads a certificate from the text of a certificate file.
    ///
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - path: What to call the text in errors, such as the file it came from.
    /// - Throws: ``CertificateError`` naming `path`, the line when there is one, and what is
    ///   wrong. The error never shows the secret key.
    public init(parsing text: String, path: String) throws(CertificateError) {
        self = try CertificateFile.certificate(parsing: Array(text.utf8), path: path)
    }

    /// Loads the public key of every public certificate in a folder: every file whose name
    /// ends in `.key`, as pyzmq's `zmq.auth.load_certificates` does.
    ///
    /// Hidden files (names beginning with `.`) and folders are skipped, as a shell's
    /// `*.key` would; secret files (`.key_secret`) don't match. Each file is loaded with
    /// ``init(contentsOf:allowingInsecurePermissions:)``, so a `.key` file that holds a
    /// secret key readable by others is refused rather than trusted.
    ///
    /// - Parameter directory: The folder.
    /// - Returns: The public keys, each once, in the order of the files' names; empty for a
    ///   folder without certificates.
    /// - Throws: ``CertificateError`` if the folder can't be listed, or naming the first file
    ///   that can't be loaded.
    public static func publicKeys(inDirectory directory: String) throws(CertificateError) -> [CurvePublicKey] {
        var keys: [CurvePublicKey] = []
        var seen: Set<CurvePublicKey> = []
        for name in try CertificateFile.publicFileNames(in: directory) {
            let path = joined(directory, name)
            if CertificateFile.isFolder(path) { continue }
            let key = try CurveCertificate(contentsOf: path).publicKey
            if seen.insert(key).inserted { keys.append(key) }
        }
        return keys
    }

    // MARK: Saving

    /// Saves the certificate as `NAME.key` and, if it has a secret key, `NAME.key_secret`,
    /// in the format of czmq's `zcert_save` and pyzmq's `create_certificates`.
    ///
    /// Each file is written to a new temporary file in the same folder and then renamed into
    /// place, so a file is never seen half-written, and an existing file is replaced. The
    /// secret file is created with mode 0600, so it is never readable by others, not even
    /// for a moment; the public file gets the usual permissions (0644 less the umask).
    ///
    /// - Parameters:
    ///   - directory: The folder, which must exist.
    ///   - name: The files' name without extension, such as `"server"`.
    /// - Returns: The paths written: the public file, and the secret file or `nil` for a
    ///   public certificate.
    /// - Throws: ``CertificateError`` if `name` is not a plain file name, the metadata can't
    ///   be written in a certificate file, or a file can't be written; the error names the
    ///   file.
    @discardableResult
    public func save(inDirectory directory: String, name: String) throws(CertificateError) -> (publicFile: String, secretFile: String?) {
        guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: "/")), !name.utf8.contains(0) else {
            throw CertificateError(.invalidName, path: Self.joined(directory, name))
        }
        let publicFile = Self.joined(directory, name + ".key")
        var secretFile: String?
        if keyPair != nil {
            let path = publicFile + "_secret"
            try writeSecretFile(to: path)
            secretFile = path
        }
        try writePublicFile(to: publicFile)
        return (publicFile, secretFile)
    }

    /// Writes the public certificate file (`NAME.key`) to a path: the public key and the
    /// metadata.
    ///
    /// The file is written to a temporary file and renamed into place, replacing any file
    /// there, with the usual permissions (0644 less the umask).
    ///
    /// - Parameter path: The file to write.
    /// - Throws: ``CertificateError`` if the metadata can't be written in a certificate file
    ///   or the file can't be written.
    public func writePublicFile(to path: String) throws(CertificateError) {
        let text = try CertificateFile.text(of: self, includingSecret: false, path: path)
        try CertificateFile.writeFile(text, to: path, mode: 0o644, exactMode: false)
    }

    /// Writes the secret certificate file (`NAME.key_secret`) to a path: both keys and the
    /// metadata, with mode 0600.
    ///
    /// The file is created with mode 0600 (set exactly, whatever the umask) before anything
    /// is written to it, then renamed into place, replacing any file there.
    ///
    /// - Parameter path: The file to write.
    /// - Throws: ``CertificateError`` with ``CertificateError/Kind/missingSecretKey`` for a
    ///   public certificate, or if the metadata can't be written in a certificate file or the
    ///   file can't be written. The error never shows the secret key.
    public func writeSecretFile(to path: String) throws(CertificateError) {
        let text = try CertificateFile.text(of: self, includingSecret: true, path: path)
        try CertificateFile.writeFile(text, to: path, mode: 0o600, exactMode: true)
    }

    // MARK: Printing

    /// The public key and metadata; the secret key shows as `redacted`:
    /// `CurveCertificate(publicKey: <z85>, secretKey: redacted, metadata: ["host": "db1"])`.
    public var description: String {
        "CurveCertificate(publicKey: \(publicKey.z85), secretKey: \(keyPair == nil ? "none" : "redacted"), metadata: \(metadata))"
    }

    /// The same as ``description``: the secret key shows as `redacted`.
    public var debugDescription: String { description }

    /// A mirror showing the public key, whether there is a secret key, and the metadata, so
    /// that `dump` and reflection show no secret.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "publicKey": publicKey,
            "secretKey": keyPair == nil ? "none" : "redacted",
            "metadata": metadata,
        ], displayStyle: .struct)
    }

    /// A folder and a file name as one path.
    private static func joined(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
