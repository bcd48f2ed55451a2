// Command lines that may carry secrets (a CURVE secret key, a PLAIN password): parse errors
// that say where the problem is without quoting it back. Used by echo-server, echo-client
// and zmqcat.

public import ArgumentParser

/// The usage error for arguments ArgumentParser did not recognize, or `nil` if there are none.
///
/// ArgumentParser's own error quotes a stray argument back ("Unexpected argument '…'"), and a
/// stray argument is often the rest of a password or key given without quotes: so an unknown
/// option is named by its name only, and any other argument by its position only.
///
/// - Parameter unrecognized: The arguments left over, in order.
/// - Returns: The error to throw.
public func unrecognizedArgumentError(_ unrecognized: [String]) -> ValidationError? {
    guard let first = unrecognized.first else { return nil }
    let name = first.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
    if name.hasPrefix("--"), name.count > 2, name.dropFirst(2).allSatisfy({ ("a"..."z").contains($0) || $0 == "-" }) {
        return ValidationError("unknown option '\(name)'; see --help.")
    }
    let position = CommandLine.arguments.dropFirst().firstIndex(of: first).map { " \($0)" } ?? ""
    return ValidationError(
        "unexpected argument\(position) (not shown: it may be part of a secret); quote a password that has spaces.")
}

/// Parses the command line and runs the command, as `ParsableCommand.main()` does, except
/// that a parse error that would quote a secret back is replaced by one that says only where
/// it is.
///
/// ArgumentParser splits the command line before it knows which option takes which value, and
/// refuses some values that begin with '-' there ("Invalid option: -=…"), quoting them whole,
/// even for an option that takes any value: a Z85 key or a password can begin that way.
///
/// A command line tool that promises particular exit codes (zmqcat's 0, 1 and 2) passes
/// `usageErrorExitCode`: a usage error then prints one line, `error: <what is wrong>`, on
/// standard error (no usage summary) and exits with that code instead of ArgumentParser's 64.
/// `--help` and shell-completion requests still exit 0.
///
/// - Parameters:
///   - command: The command type.
///   - secretOptions: The options whose values are secrets, such as `--plain-user`.
///   - usageErrorExitCode: The exit code for usage errors (a parse error, or a
///     `ValidationError` from `validate()` or `run()`), reported in one line; `nil` (the
///     default) keeps ArgumentParser's code (64) and its message with the usage summary.
public func runHidingSecrets(
    _ command: any ParsableCommand.Type,
    secretOptions: Set<String>,
    usageErrorExitCode: ExitCode? = nil
) -> Never {
    let arguments = Array(CommandLine.arguments.dropFirst())
    var parsed: any ParsableCommand
    /// Exits for `error`, as one `error: ` line when it is a usage error and a code was given.
    func exit(withError error: any Error) -> Never {
        if let usageErrorExitCode, command.exitCode(for: error) == .validationFailure {
            let lines = command.message(for: error).split(whereSeparator: \.isNewline)
            var text = lines.map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
            if text.lowercased().hasPrefix("error: ") { text = String(text.dropFirst(7)) }
            Console.error("error: \(text)")
            command.exit(withError: usageErrorExitCode)
        }
        command.exit(withError: error)
    }
    do {
        parsed = try command.parseAsRoot(arguments)
    } catch {
        guard command.exitCode(for: error) != .success else { command.exit(withError: error) }
        let message = command.fullMessage(for: error)
        for (index, argument) in arguments.enumerated() where !argument.isEmpty && message.contains(argument) {
            let isSecret = (index > 0 && secretOptions.contains(arguments[index - 1]))
                || secretOptions.contains { argument.hasPrefix($0 + "=") }
            // Anything else with a leading dash that is not an option's name may be the rest
            // of a secret given without quotes.
            let isOptionName = argument.dropFirst(argument.hasPrefix("--") ? 2 : 1)
                .allSatisfy { ("a"..."z").contains($0) || $0 == "-" }
            guard isSecret || (argument.hasPrefix("-") && !isOptionName) else { continue }
            exit(withError: ValidationError(
                "argument \(index + 1) can't be read (not shown: it may be a secret); "
                    + "give a value that begins with '-' as --option=value."))
        }
        exit(withError: error)
    }
    do {
        try parsed.run()
    } catch {
        exit(withError: error)
    }
    command.exit()
}
