public import ZeroMQ

/// A failure a demo reports to its user: one line, printed after `error: `.
///
/// The description says what the demo was doing and why it failed, for example
/// "cannot bind to 'foo': Invalid argument (EINVAL)".
///
/// A demo error is a value and is safe to share between threads.
public struct DemoError: Error, CustomStringConvertible, Sendable {
    /// The message, without the `error: ` prefix.
    public let description: String

    /// Creates an error with a message.
    ///
    /// - Parameter description: The message, without the `error: ` prefix.
    public init(_ description: String) {
        self.description = description
    }
}

/// Performs a ZeroMQ operation, describing a failure in words a demo's user understands.
///
/// ```swift
/// try attempt("bind to '\(endpoint)'") { () throws(ZMQError) in try socket.bind(to: endpoint) }
/// // error: cannot bind to 'foo': Invalid argument (EINVAL)
/// ```
///
/// ``ZMQError/contextTerminated`` passes through unchanged, since it means the demo is being
/// stopped by a signal (see ``Demo/run(_:)``).
///
/// - Parameters:
///   - action: What the operation does, phrased to follow "cannot", such as
///     `"connect to 'tcp://…'"`.
///   - body: The operation.
/// - Returns: What `body` returns.
/// - Throws: A ``DemoError`` reading "cannot *action*: *reason*", or
///   ``ZMQError/contextTerminated``.
@discardableResult
public func attempt<Result>(_ action: String, _ body: () throws(ZMQError) -> Result) throws -> Result {
    do {
        return try body()
    } catch .contextTerminated {
        throw ZMQError.contextTerminated
    } catch {
        // An error that names its endpoint or option already begins with the action
        // ("bind to 'foo': …"); don't say it twice.
        let saysWhatFailed = error.endpoint != nil || error.option != nil
        throw DemoError(saysWhatFailed ? "cannot \(error)" : "cannot \(action): \(error)")
    }
}
