// zmq-keygen: makes a CURVE key pair, as libzmq's curve_keygen tool does, or a pair of
// certificate files, as pyzmq's zmq.auth.create_certificates does.
//
//     zmq-keygen                                   # prints "public: <z85>" and "secret: <z85>"
//     zmq-keygen --output-dir certs --name server  # writes certs/server.key and certs/server.key_secret
//
// The files are in the format of czmq's zcert and pyzmq's zmq.auth; the secret file is
// created with mode 0600. Existing files are never replaced.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ExampleSupport
import ZeroMQ

struct KeyGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmq-keygen",
        abstract: "Generate a CURVE key pair, or a pair of certificate files.",
        discussion: """
            Without options, prints the new key pair in Z85 as two lines, "public: <z85>" \
            and "secret: <z85>". With --output-dir and --name (always given together), \
            writes <name>.key (the public certificate, to hand out) and <name>.key_secret \
            (both keys, created with mode 0600) in that folder, in the certificate format of \
            czmq's zcert and pyzmq's zmq.auth, and prints the two paths, one per line. It \
            refuses to replace an existing file. Nothing but those lines goes to standard \
            output.
            """
    )

    @Option(
        name: .customLong("output-dir"),
        help: ArgumentHelp("The folder to write the certificate files in; it must exist.", valueName: "dir"))
    var outputDirectory: String?

    @Option(help: ArgumentHelp(
        "The certificate's name: the files are <name>.key and <name>.key_secret.", valueName: "name"))
    var name: String?

    func validate() throws {
        switch (outputDirectory, name) {
        case (nil, nil):
            break
        case (_?, nil):
            throw ValidationError("--output-dir needs --name, such as --name server.")
        case (nil, _?):
            throw ValidationError("--name needs --output-dir, the folder to write the files in.")
        case let (directory?, name?):
            if directory.isEmpty { throw ValidationError("--output-dir must not be empty.") }
            if name.isEmpty || name.contains("/") {
                throw ValidationError("--name must be a plain file name, without '/'.")
            }
        }
    }

    func run() throws {
        try Demo.run { _ in
            let certificate = try attempt("generate a CURVE key pair") { () throws(ZMQError) in
                try CurveCertificate.generate()
            }
            guard let outputDirectory, let name else {
                print("public: \(certificate.publicKey.z85)")
                // Printing the secret key is this program's purpose.
                print("secret: \(certificate.secretKey?.revealedZ85 ?? "")")
                return
            }
            let base = outputDirectory.hasSuffix("/") ? outputDirectory + name : outputDirectory + "/" + name
            for path in [base + ".key", base + ".key_secret"] where exists(path) {
                throw DemoError("\(path) already exists; remove it first, or choose another --name")
            }
            let files = try certificate.save(inDirectory: outputDirectory, name: name)
            print(files.publicFile)
            if let secretFile = files.secretFile { print(secretFile) }
        }
    }

    /// Whether anything (even a dangling symbolic link) is at a path.
    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

KeyGenerator.main()
