// The ZAP 1.0 wire format (RFC 27, https://rfc.zeromq.org/spec/27/): what a server socket
// sends its ZAP handler, and what the handler answers. The handler's ROUTER socket sees a
// request as
//
//     routing id … | "" | "1.0" | request id | domain | address | identity | mechanism | credentials…
//
// and answers with the same envelope (everything up to and including the empty delimiter)
// followed by
//
//     "1.0" | request id | status code | status text | user id | metadata

/// One ZAP request, taken apart. A request that breaks RFC 27 keeps what could be read and
/// says what is wrong in `problem`.
internal struct ZAPRequest {
    /// The address envelope, delimiter included, to send back with the reply; `nil` when the
    /// request has no delimiter, so that no reply can be routed.
    var envelope: [[UInt8]]?
    /// The request id to echo (empty if the request has none).
    var requestID: [UInt8] = []
    /// The server socket's ZAP domain.
    var domain = ""
    /// The peer's address.
    var address = ""
    /// The security mechanism.
    var mechanism = SecurityMechanism(rawValue: "")
    /// The mechanism's credentials: none for NULL, username and password for PLAIN, the
    /// 32-byte public key for CURVE.
    var credentials: [[UInt8]] = []
    /// What makes the request malformed, if anything.
    var problem: String?

    /// The only version of the protocol.
    static let version = Array("1.0".utf8)

    /// Takes a request apart, as received on the handler's ROUTER socket.
    ///
    /// - Parameter frames: The frames, routing id first.
    init(frames: [[UInt8]]) {
        // Frame 0 is the routing id the ROUTER socket added; the envelope ends at the first
        // empty frame after it.
        guard let delimiter = frames.indices.dropFirst().first(where: { frames[$0].isEmpty }) else {
            problem = "no address delimiter"
            return
        }
        envelope = Array(frames[...delimiter])
        let body = frames[(delimiter + 1)...]
        let fields = Array(body)
        if fields.count >= 2 { requestID = fields[1] }
        guard let version = fields.first, version == Self.version else {
            problem = fields.isEmpty ? "no version frame" : "unsupported version \(Self.text(fields[0]).debugDescription)"
            return
        }
        guard fields.count >= 6 else {
            problem = "\(fields.count) frames after the envelope, at least 6 expected"
            return
        }
        domain = Self.text(fields[2])
        address = Self.text(fields[3])
        mechanism = SecurityMechanism(rawValue: Self.text(fields[5]))
        credentials = Array(fields[6...])
    }

    /// A field as text; invalid UTF-8 becomes U+FFFD.
    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(255), as: UTF8.self)
    }

    /// The reply frames: the envelope, then version, request id, status code, status text,
    /// user id and empty metadata.
    func reply(statusCode: Int, statusText: String, userID: String) -> [[UInt8]]? {
        guard let envelope else { return nil }
        return envelope + [
            Self.version, requestID, Array(String(statusCode).utf8),
            Array(statusText.utf8.prefix(255)), Array(userID.utf8.prefix(255)), [],
        ]
    }
}
