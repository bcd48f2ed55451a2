#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Certificate files as czmq's `zcert_save` and pyzmq's `zmq.auth.create_certificates` write
// them, and the file-system work of reading and writing them safely.
//
// A public file (`NAME.key`):
//
//     #   ****  Generated on 2025-01-01 12:00:00 by ZeroMQ for Swift  ****
//     #   ZeroMQ CURVE Public Certificate
//     #   Exchange securely, or use a secure mechanism to verify the contents
//     #   of this file after exchange. Store public certificates in your home
//     #   directory, in the .curve subdirectory.
//
//     metadata
//         email = "ops@example.com"
//     curve
//         public-key = "<40 characters of Z85>"
//
// A secret file (`NAME.key_secret`) has its own two comment lines, and a
// `secret-key = "<40 characters of Z85>"` line after the public key. czmq writes the metadata
// in both files, pyzmq only in the secret one; both write `metadata` even when it is empty.
//
// Reading: pyzmq's `load_certificate` does not parse ZPL; it takes any line that starts with
// `public-key` or `secret-key`. So a metadata name that starts with either would be read by
// pyzmq as a key, and such names are refused when writing.

/// Converts certificates to and from the text of certificate files, and reads and writes
/// those files.
internal enum CertificateFile {
    // MARK: Parsing

    /// Builds a certificate from the text of a certificate file.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - path: The file's name, for errors.
    /// - Returns: The certificate, with a secret key if the file has one.
    /// - Throws: ``CertificateError`` naming the line and what is wrong.
    static func certificate(parsing bytes: some Collection<UInt8>, path: String) throws(CertificateError) -> CurveCertificate {
        func failure(_ kind: CertificateError.Kind, line: Int? = nil) -> CertificateError {
            CertificateError(kind, path: path, line: line)
        }
        let properties: [ZPLProperty]
        do {
            properties = try ZPL.parse(bytes)
        } catch {
            throw failure(.syntax(error.reason), line: error.line)
        }

        // The two sections, each at most once.
        var sections: [String: Int] = [:]
        for (index, property) in properties.enumerated()
        where property.parent == nil && (property.name == "curve" || property.name == "metadata") {
            if let first = sections[property.name] {
                throw failure(.duplicate("the \(property.name) section", firstLine: properties[first].line), line: property.line)
            }
            sections[property.name] = index
        }

        // The keys, each at most once, in the curve section.
        var keys: [String: ZPLProperty] = [:]
        if let curve = sections["curve"] {
            for property in properties where property.parent == curve
                && (property.name == "public-key" || property.name == "secret-key")
            {
                if let first = keys[property.name] {
                    throw failure(.duplicate(property.name, firstLine: first.line), line: property.line)
                }
                keys[property.name] = property
            }
        }
        // A key anywhere else is a mistake worth naming. pyzmq's load_certificate reads any
        // line that begins with `public-key` or `secret-key` as the key, wherever it is: such
        // a name anywhere but the one key in `curve` would make the file mean one key here and
        // another in pyzmq.
        for property in properties where property.name.hasPrefix("public-key") || property.name.hasPrefix("secret-key") {
            if let key = keys[property.name], key.line == property.line { continue }
            throw failure(.misplacedKey(name: property.name), line: property.line)
        }

        var metadata = CurveCertificate.Metadata()
        if let section = sections["metadata"] {
            var firstLines: [String: Int] = [:]
            var pairs: [(String, String)] = []
            for property in properties where property.parent == section {
                // Names only by line: a malformed file might have anything as a name.
                if let first = firstLines[property.name] {
                    throw failure(.duplicate("a metadata name", firstLine: first), line: property.line)
                }
                firstLines[property.name] = property.line
                pairs.append((property.name, property.value))
            }
            // In one go: setting entries one by one would look each name up in a list, and a
            // file of many entries would take minutes (quadratic time).
            metadata = CurveCertificate.Metadata(pairs)
        }

        guard let publicEntry = keys["public-key"] else { throw failure(.missingPublicKey) }
        let publicKey: CurvePublicKey
        do {
            publicKey = try CurvePublicKey(z85: publicEntry.value)
        } catch {
            throw failure(.invalidKey(name: "public-key", reason: error.reason ?? "\(error)"), line: publicEntry.line)
        }
        guard let secretEntry = keys["secret-key"] else {
            return CurveCertificate(publicKey: publicKey, metadata: metadata)
        }
        let secretKey: CurveSecretKey
        do {
            secretKey = try CurveSecretKey(z85: secretEntry.value)
        } catch {
            // The reason never quotes the text (CurveSecretKey's promise).
            throw failure(.invalidKey(name: "secret-key", reason: error.reason ?? "\(error)"), line: secretEntry.line)
        }
        let keyPair: CurveKeyPair
        do {
            keyPair = try CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
        } catch .invalidArgument {
            throw failure(.mismatchedKeys, line: secretEntry.line)
        } catch {
            throw failure(.curveNotSupported, line: secretEntry.line)
        }
        return CurveCertificate(keyPair: keyPair, metadata: metadata)
    }

    // MARK: Rendering

    /// The text of a certificate file.
    ///
    /// - Parameters:
    ///   - certificate: The certificate.
    ///   - includingSecret: Whether to write the secret file (which needs a secret key) or
    ///     the public one.
    ///   - path: The file's name, for errors.
    /// - Returns: The file's text.
    /// - Throws: ``CertificateError`` if the metadata can't be written, or a secret file is
    ///   asked of a certificate without a secret key.
    static func text(of certificate: CurveCertificate, includingSecret: Bool, path: String) throws(CertificateError) -> String {
        for (position, (name, value)) in certificate.metadata.enumerated() {
            if let problem = problem(writingMetadataName: name, value: value) {
                throw CertificateError(.invalidMetadata("cannot write metadata entry \(position + 1): \(problem)"), path: path)
            }
        }
        var text = "#   ****  Generated on \(timestamp()) by ZeroMQ for Swift  ****\n"
        if includingSecret {
            guard certificate.secretKey != nil else { throw CertificateError(.missingSecretKey, path: path) }
            text += """
                #   ZeroMQ CURVE **Secret** Certificate
                #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

                """
        } else {
            text += """
                #   ZeroMQ CURVE Public Certificate
                #   Exchange securely, or use a secure mechanism to verify the contents
                #   of this file after exchange. Store public certificates in your home
                #   directory, in the .curve subdirectory.

                """
        }
        text += "\nmetadata\n"
        for (name, value) in certificate.metadata {
            text += ZPL.propertyLine(name, value, level: 1)
        }
        text += "curve\n"
        text += ZPL.propertyLine("public-key", certificate.publicKey.z85, level: 1)
        if includingSecret, let secretKey = certificate.secretKey {
            text += ZPL.propertyLine("secret-key", secretKey.revealedZ85, level: 1)
        }
        return text
    }

    /// Why a metadata entry can't be written, or `nil` if it can. Names are ZPL-checked
    /// and may be shown; values are described, never shown.
    static func problem(writingMetadataName name: String, value: String) -> String? {
        guard ZPL.isValidName(name) else {
            return "the name \(name.debugDescription) is not a ZPL name (letters, digits and $-_@.&+/, not beginning or ending with /)"
        }
        if name.hasPrefix("public-key") || name.hasPrefix("secret-key") {
            return "the name \(name.debugDescription) would be read as a key by pyzmq's load_certificate"
        }
        if let problem = ZPL.problem(writing: value) {
            return "the value of \(name.debugDescription) \(problem)"
        }
        return nil
    }

    /// The local time as czmq writes it in a certificate's first comment line.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "an unknown date" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Files

    /// Reads a file of at most ``CurveCertificate/maximumFileSize`` bytes.
    ///
    /// - Parameter path: The file.
    /// - Returns: Its contents, its permission bits and its owner's user id, all of the one
    ///   file opened (`fstat` on the descriptor read, so that no file can be swapped in
    ///   between the check and the read).
    /// - Throws: ``CertificateError`` if it can't be opened or read, is not a regular file,
    ///   or is too large.
    static func readFile(_ path: String) throws(CertificateError) -> (bytes: [UInt8], mode: UInt32, owner: UInt32) {
        // Non-blocking, so that opening a FIFO by mistake does not wait for a writer.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw CertificateError(.fileSystem(.open, errorNumber: errno), path: path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw CertificateError(.fileSystem(.status, errorNumber: errno), path: path)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CertificateError(.notRegularFile, path: path) }
        let limit = CurveCertificate.maximumFileSize
        guard info.st_size <= limit else {
            throw CertificateError(.fileTooLarge(byteCount: Int(info.st_size)), path: path)
        }
        // Read until end of file, whatever the size said: the file may have grown.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw CertificateError(.fileSystem(.read, errorNumber: errno), path: path)
            }
            bytes += chunk[..<count]
            guard bytes.count <= limit else {
                throw CertificateError(.fileTooLarge(byteCount: bytes.count), path: path)
            }
        }
        return (bytes, UInt32(info.st_mode) & 0o7777, UInt32(info.st_uid))
    }

    /// Writes a file so that it never exists half-written and never has wider permissions
    /// than `mode`: the text goes to a new temporary file in the same folder, created with
    /// `mode` (and set to it exactly with `fchmod` when `exactMode` is true, so the umask
    /// can't matter), flushed to disk, then renamed over `path`.
    ///
    /// - Parameters:
    ///   - text: The contents.
    ///   - path: The file to create or replace.
    ///   - mode: The permissions to create the file with; the umask applies unless
    ///     `exactMode` is true.
    ///   - exactMode: Whether to set exactly `mode` after creating the file.
    /// - Throws: ``CertificateError`` naming the step that failed.
    static func writeFile(_ text: String, to path: String, mode: mode_t, exactMode: Bool) throws(CertificateError) {
        let folderEnd = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let folder = folderEnd.map { String(path[...$0]) } ?? ""
        let base = folderEnd.map { String(path[path.index(after: $0)...]) } ?? path
        var temporary = ""
        var descriptor: CInt = -1
        // A fresh name, created exclusively: never an existing file or a planted symbolic link.
        for _ in 0..<16 {
            let suffix = String(UInt64.random(in: .min ... .max), radix: 36)
            temporary = "\(folder).\(base).\(suffix).tmp"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw CertificateError(.fileSystem(.create, errorNumber: errno), path: path) }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(descriptor) }
            if !renamed { unlink(temporary) }
        }
        if exactMode {
            guard fchmod(descriptor, mode) == 0 else {
                throw CertificateError(.fileSystem(.setPermissions, errorNumber: errno), path: path)
            }
        }
        var contents = Array(text.utf8)
        let written = contents.withUnsafeMutableBytes { buffer -> CInt in
            var remaining = UnsafeRawBufferPointer(buffer)
            while !remaining.isEmpty {
                let count = write(descriptor, remaining.baseAddress, remaining.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
            }
            return 0
        }
        // Clear this copy of the secret (best effort: the caller's string holds it too).
        contents.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
        guard written == 0 else { throw CertificateError(.fileSystem(.write, errorNumber: written), path: path) }
        guard fsync(descriptor) == 0 else { throw CertificateError(.fileSystem(.write, errorNumber: errno), path: path) }
        closed = true
        guard close(descriptor) == 0 else { throw CertificateError(.fileSystem(.write, errorNumber: errno), path: path) }
        guard rename(temporary, path) == 0 else {
            throw CertificateError(.fileSystem(.rename, errorNumber: errno), path: path)
        }
        renamed = true
    }

    /// The names in a folder that end in `.key`, except hidden ones, in byte order: the
    /// files `glob("*.key")` finds, as pyzmq's `load_certificates` does.
    ///
    /// - Parameter folder: The folder.
    /// - Returns: The names, without the folder.
    /// - Throws: ``CertificateError`` if the folder can't be listed.
    static func publicFileNames(in folder: String) throws(CertificateError) -> [String] {
        guard let directory = opendir(folder) else {
            throw CertificateError(.fileSystem(.list, errorNumber: errno), path: folder)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw CertificateError(.fileSystem(.list, errorNumber: errno), path: folder) }
                break
            }
            // Read the name in place, up to its NUL. Copying `entry.pointee` (or its
            // `d_name`) would read the whole 256-byte array, but readdir packs its records
            // (`d_reclen`), so that reads past the record, uninitialised and possibly past
            // the end of readdir's buffer (valgrind reports it).
            let name = String(cString: UnsafeRawPointer(entry)
                .advanced(by: MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
                .assumingMemoryBound(to: CChar.self))
            if name.hasSuffix(".key") && !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether a path names a folder (following symbolic links).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
