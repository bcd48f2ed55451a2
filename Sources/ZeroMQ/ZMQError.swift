internal import CZeroMQ

/// An error reported by libzmq, carrying its `errno` value and, where the library knows it,
/// what failed: the endpoint, the option, and why.
///
/// `ZMQError` is a value over the error number, in the style of swift-system's `Errno`: the
/// errors of sending and receiving carry nothing else, so throwing one allocates nothing, and
/// codes this library has no name for still fit. Branch on the named codes with a typed `catch`:
///
/// ```swift
/// do { try socket.connect(to: endpoint) } catch .protocolNotSupported { … }
/// ```
///
/// Errors from binding, connecting, options and keys also say what failed, and the
/// description reads as one line:
///
/// ```text
/// bind to 'tcp://127.0.0.1': the endpoint has no port: Invalid argument (EINVAL)
/// set sendHighWaterMark (ZMQ_SNDHWM) to -1: must not be negative: Invalid argument (EINVAL)
/// ```
///
/// The context (``endpoint``, ``option``, ``reason``) never takes part in comparisons: two
/// errors are equal when their codes are, so `catch .invalidArgument`, `==` and
/// `#expect(throws: ZMQError.invalidArgument)` match whatever failed. A secret, such as a
/// CURVE secret key or a PLAIN password, never appears in an error.
///
/// "Would block" is not thrown by the non-blocking sends and receives: they return `false` or
/// `nil` instead.
///
/// A `ZMQError` is a value and is safe to share between threads.
public struct ZMQError: Error, RawRepresentable, Hashable, Sendable {
    /// The raw error number (`errno`), as libzmq reports it.
    public let rawValue: CInt

    /// What failed, when the library knows; `nil` on the hot paths, so that throwing from them
    /// allocates nothing.
    @usableFromInline
    internal let context: ErrorContext?

    /// Creates an error from a raw error number.
    @inlinable
    public init(rawValue: CInt) {
        self.rawValue = rawValue
        self.context = nil
    }

    /// Creates an error with the code of `code` and a context.
    internal init(_ code: ZMQError, context: ErrorContext?) {
        self.rawValue = code.rawValue
        self.context = context
    }

    /// Creates an error that says why the library refused an argument before libzmq saw it.
    internal init(_ code: ZMQError, reason: String) {
        self.init(code, context: ErrorContext(reason: reason))
    }

    /// The endpoint a bind, connect, unbind, disconnect or monitor call failed on.
    public var endpoint: String? { context?.endpoint }

    /// The name of the option that could not be set or read, such as `"sendHighWaterMark"`.
    public var option: String? { context?.option?.name }

    /// Why the library refused the call, when it knows more than libzmq's error text, such as
    /// `"the endpoint has no port"`.
    public var reason: String? { context?.reason }

    /// Compares the codes only; what failed does not take part.
    public static func == (lhs: ZMQError, rhs: ZMQError) -> Bool {
        lhs.rawValue == rhs.rawValue
    }

    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawValue)
    }

    /// This error with what failed added: fields already set are kept.
    internal func adding(
        action: ErrorContext.Action? = nil,
        endpoint: String? = nil,
        option: ErrorContext.OptionName? = nil,
        value: String? = nil,
        reason: String? = nil
    ) -> ZMQError {
        ZMQError(self, context: ErrorContext(
            action: context?.action ?? action,
            endpoint: context?.endpoint ?? endpoint,
            option: context?.option ?? option,
            value: context?.value ?? value,
            reason: context?.reason ?? reason))
    }

    /// The operation would block: no message is ready, the high-water mark is reached, or a
    /// send or receive timeout expired. The C error is `EAGAIN`.
    public static var wouldBlock: ZMQError { ZMQError(rawValue: _EAGAIN) }

    /// A blocking call was interrupted by a signal. Blocking calls retry it by default.
    /// The C error is `EINTR`.
    public static var interrupted: ZMQError { ZMQError(rawValue: _EINTR) }

    /// The context was terminated or shut down. The C error is `ETERM`.
    public static var contextTerminated: ZMQError { ZMQError(rawValue: _ETERM) }

    /// The operation cannot be performed in the socket's current state, such as a REQ socket
    /// sending twice without receiving a reply. The C error is `EFSM`.
    public static var invalidState: ZMQError { ZMQError(rawValue: _EFSM) }

    /// An argument is invalid: a malformed endpoint, an unknown option, a bad option value.
    /// The C error is `EINVAL`.
    public static var invalidArgument: ZMQError { ZMQError(rawValue: _EINVAL) }

    /// The endpoint's transport is not supported (a typo such as `tcpp://`, or a transport
    /// libzmq was built without). The C error is `EPROTONOSUPPORT`.
    public static var protocolNotSupported: ZMQError { ZMQError(rawValue: _EPROTONOSUPPORT) }

    /// The address is already in use. The C error is `EADDRINUSE`.
    public static var addressInUse: ZMQError { ZMQError(rawValue: _EADDRINUSE) }

    /// The requested address is not local. The C error is `EADDRNOTAVAIL`.
    public static var addressNotAvailable: ZMQError { ZMQError(rawValue: _EADDRNOTAVAIL) }

    /// The message cannot be routed: the peer is unknown or unreachable (ROUTER with
    /// mandatory routing). The C error is `EHOSTUNREACH`.
    public static var hostUnreachable: ZMQError { ZMQError(rawValue: _EHOSTUNREACH) }

    /// The handle does not refer to a valid socket. The C error is `ENOTSOCK`.
    public static var notSocket: ZMQError { ZMQError(rawValue: _ENOTSOCK) }

    /// No I/O thread is available for a connection (for example a `tcp://` bind in a
    /// context made with no I/O threads). The C error is `EMTHREAD`.
    public static var tooManyThreads: ZMQError { ZMQError(rawValue: _EMTHREAD) }

    /// The context already holds ``ContextOption/maxSockets`` sockets, or the process is out
    /// of file descriptors. The C error is `EMFILE`.
    public static var tooManyOpenFiles: ZMQError { ZMQError(rawValue: _EMFILE) }

    /// The message is too large. The C error is `EMSGSIZE`.
    public static var messageTooLarge: ZMQError { ZMQError(rawValue: _EMSGSIZE) }

    /// The transport protocol is not compatible with the socket type (for example `pgm://`
    /// on a REQ socket). The C error is `ENOCOMPATPROTO`.
    public static var incompatibleProtocol: ZMQError { ZMQError(rawValue: _ENOCOMPATPROTO) }

    /// The operation is not supported by this socket type or build. The C error is `ENOTSUP`.
    public static var notSupported: ZMQError { ZMQError(rawValue: _ENOTSUP) }

    /// The endpoint was not bound or connected, so it cannot be unbound or disconnected.
    /// The C error is `ENOENT`.
    public static var noSuchEndpoint: ZMQError { ZMQError(rawValue: _ENOENT) }

    /// The endpoint names a network interface or address that does not exist, such as
    /// `tcp://999.0.0.1:5555`. The C error is `ENODEV`.
    public static var noSuchDevice: ZMQError { ZMQError(rawValue: _ENODEV) }

    /// A system resource (memory, file descriptors) is exhausted. The C error is `ENOMEM`.
    public static var outOfMemory: ZMQError { ZMQError(rawValue: _ENOMEM) }

    /// The C name of the error number, such as `ETERM`, or `nil` for a code this library does
    /// not name.
    public var name: String? {
        switch self {
        case .wouldBlock: "EAGAIN"
        case .interrupted: "EINTR"
        case .contextTerminated: "ETERM"
        case .invalidState: "EFSM"
        case .invalidArgument: "EINVAL"
        case .protocolNotSupported: "EPROTONOSUPPORT"
        case .addressInUse: "EADDRINUSE"
        case .addressNotAvailable: "EADDRNOTAVAIL"
        case .hostUnreachable: "EHOSTUNREACH"
        case .notSocket: "ENOTSOCK"
        case .tooManyThreads: "EMTHREAD"
        case .tooManyOpenFiles: "EMFILE"
        case .messageTooLarge: "EMSGSIZE"
        case .incompatibleProtocol: "ENOCOMPATPROTO"
        case .notSupported: "ENOTSUP"
        case .noSuchEndpoint: "ENOENT"
        case .noSuchDevice: "ENODEV"
        case .outOfMemory: "ENOMEM"
        default: nil
        }
    }

    /// libzmq's text for the error (`zmq_strerror`), without the C name.
    public var message: String { String(cString: zmq_strerror(rawValue)) }

    /// Matches a thrown error against a `ZMQError` code in a `catch` or `switch` pattern.
    public static func ~= (code: ZMQError, error: any Error) -> Bool {
        (error as? ZMQError) == code
    }

    /// Matches a `ZMQError` value against a code in a `switch` or typed `catch` pattern,
    /// comparing the error numbers (the context is not compared).
    ///
    /// Without it, such a pattern goes through the `any Error` overload above, which boxes the
    /// error and casts it back; Swift 6.3's optimizer then leaks the error's context whenever
    /// the cast matches (valgrind shows it in `make leakcheck`: `description`, whose `name`
    /// switches on the error, lost one context per call).
    ///
    /// - Parameters:
    ///   - code: The code in the pattern.
    ///   - error: The error matched.
    /// - Returns: Whether their error numbers are equal.
    public static func ~= (code: ZMQError, error: ZMQError) -> Bool {
        code.rawValue == error.rawValue
    }
}

extension ZMQError: CustomStringConvertible {
    /// What failed, why, and the libzmq text followed by the C name, for example
    /// "bind to 'tcp://127.0.0.1:5555': Address already in use (EADDRINUSE)", or just
    /// "Context was terminated (ETERM)" when there is nothing to add.
    public var description: String {
        let code = "\(message) (\(name ?? "errno \(rawValue)"))"
        guard let context else { return code }
        return (context.lines + [code]).joined(separator: ": ")
    }
}

/// What failed, attached to a ``ZMQError`` on the paths where the library knows it.
///
/// Built only when an error is thrown, never on success, and never on the send and receive
/// paths.
@usableFromInline
internal final class ErrorContext: Sendable {
    /// The operation that failed.
    enum Action: Sendable {
        case bind, connect, unbind, disconnect, monitor
        case setOption, readOption
        case call(String)
    }

    /// An option's Swift and C names.
    struct OptionName: Sendable {
        let name: String
        let cName: String
    }

    let action: Action?
    let endpoint: String?
    let option: OptionName?
    /// The rejected value, as text; never set for a secret.
    let value: String?
    let reason: String?

    init(
        action: Action? = nil,
        endpoint: String? = nil,
        option: OptionName? = nil,
        value: String? = nil,
        reason: String? = nil
    ) {
        self.action = action
        self.endpoint = endpoint
        self.option = option
        self.value = value
        self.reason = reason
    }

    /// The parts of the description before libzmq's text: "bind to 'tcp://…'", the reason.
    var lines: [String] {
        var lines: [String] = []
        let quoted = endpoint.map { "'\($0)'" } ?? ""
        let optionText = option.map { "\($0.name) (\($0.cName))" } ?? "an option"
        switch action {
        case .bind?: lines.append("bind to \(quoted)")
        case .connect?: lines.append("connect to \(quoted)")
        case .unbind?: lines.append("unbind from \(quoted)")
        case .disconnect?: lines.append("disconnect from \(quoted)")
        case .monitor?: lines.append("monitor on \(quoted)")
        case .setOption?: lines.append("set \(optionText)" + (value.map { " to \($0)" } ?? ""))
        case .readOption?: lines.append("read \(optionText)")
        case .call(let name)?: lines.append(name)
        case nil:
            if let endpoint { lines.append("endpoint '\(endpoint)'") }
            if option != nil { lines.append(optionText) }
        }
        if let reason { lines.append(reason) }
        return lines
    }
}

// C spellings that point C-minded users at the Swift names.
extension ZMQError {
    /// The C spelling of ``wouldBlock``.
    @available(*, unavailable, renamed: "wouldBlock")
    public static var EAGAIN: ZMQError { .wouldBlock }
    /// The C spelling of ``interrupted``.
    @available(*, unavailable, renamed: "interrupted")
    public static var EINTR: ZMQError { .interrupted }
    /// The C spelling of ``contextTerminated``.
    @available(*, unavailable, renamed: "contextTerminated")
    public static var ETERM: ZMQError { .contextTerminated }
    /// The C spelling of ``invalidState``.
    @available(*, unavailable, renamed: "invalidState")
    public static var EFSM: ZMQError { .invalidState }
    /// The C spelling of ``invalidArgument``.
    @available(*, unavailable, renamed: "invalidArgument")
    public static var EINVAL: ZMQError { .invalidArgument }
    /// The C spelling of ``protocolNotSupported``.
    @available(*, unavailable, renamed: "protocolNotSupported")
    public static var EPROTONOSUPPORT: ZMQError { .protocolNotSupported }
    /// The C spelling of ``addressInUse``.
    @available(*, unavailable, renamed: "addressInUse")
    public static var EADDRINUSE: ZMQError { .addressInUse }
    /// The C spelling of ``hostUnreachable``.
    @available(*, unavailable, renamed: "hostUnreachable")
    public static var EHOSTUNREACH: ZMQError { .hostUnreachable }
    /// The C spelling of ``notSocket``.
    @available(*, unavailable, renamed: "notSocket")
    public static var ENOTSOCK: ZMQError { .notSocket }
    /// The C spelling of ``tooManyThreads``.
    @available(*, unavailable, renamed: "tooManyThreads")
    public static var EMTHREAD: ZMQError { .tooManyThreads }
    /// The C spelling of ``addressNotAvailable``.
    @available(*, unavailable, renamed: "addressNotAvailable")
    public static var EADDRNOTAVAIL: ZMQError { .addressNotAvailable }
    /// The C spelling of ``notSupported``.
    @available(*, unavailable, renamed: "notSupported")
    public static var ENOTSUP: ZMQError { .notSupported }
    /// The C spelling of ``noSuchEndpoint``.
    @available(*, unavailable, renamed: "noSuchEndpoint")
    public static var ENOENT: ZMQError { .noSuchEndpoint }
    /// The C spelling of ``outOfMemory``.
    @available(*, unavailable, renamed: "outOfMemory")
    public static var ENOMEM: ZMQError { .outOfMemory }
    /// The C spelling of ``tooManyOpenFiles``.
    @available(*, unavailable, renamed: "tooManyOpenFiles")
    public static var EMFILE: ZMQError { .tooManyOpenFiles }
    /// The C spelling of ``messageTooLarge``.
    @available(*, unavailable, renamed: "messageTooLarge")
    public static var EMSGSIZE: ZMQError { .messageTooLarge }
    /// The C spelling of ``incompatibleProtocol``.
    @available(*, unavailable, renamed: "incompatibleProtocol")
    public static var ENOCOMPATPROTO: ZMQError { .incompatibleProtocol }
}
