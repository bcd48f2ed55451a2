// lazy-pirate-client: reliable request/reply on the client side (the Guide's Lazy Pirate).
//
// A REQ socket cannot recover by itself from a lost request: it waits for ever for a reply
// that will never come, and refuses to send another request meanwhile. So the client polls
// for each reply with a timeout; when none comes in time it throws the socket away (linger
// 0, so nothing queued survives), opens a new one, reconnects and sends the request again.
// After --retries attempts without a reply it gives up. This is chapter 4 of the ZeroMQ
// Guide (lpclient.c); try it with lazy-pirate-server, or with the Guide's own lpserver.c
// (Examples/GuideC):
//
//     lazy-pirate-server --bind tcp://*:5555 --crash-at 5 &
//     lazy-pirate-client --connect tcp://127.0.0.1:5555 --timeout-ms 1000

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct LazyPirateClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lazy-pirate-client",
        abstract: "Send numbered requests, retrying on a fresh socket when no reply comes (a REQ socket).",
        discussion: """
            Sends the requests "1", "2", … up to --count, one at a time, and expects each \
            reply to equal its request. Standard output carries the Guide's lines, in order:

              I: server replied OK (<n>)                  request <n> answered correctly
              W: no response from server, retrying...     an attempt timed out
              E: malformed reply from server: <reply>     a wrong reply
              E: server seems to be offline, abandoning   the last attempt timed out

            Each attempt waits --timeout-ms for its reply. When it times out, the client \
            closes its REQ socket (dropping whatever it still queues), opens a new one, \
            reconnects and sends the same request again. --retries counts the attempts per \
            request, the first one included, as the Guide's REQUEST_RETRIES does: with the \
            defaults, a request is sent up to 3 times and the client gives up after about \
            7.5 s. A malformed reply does not end the attempt: the client keeps waiting \
            until the attempt's time is up (a REQ socket takes one reply per request, so the \
            right one can only come to the next attempt's socket).

            Status lines ("connecting to", "reconnecting to") go to standard error. Exits \
            with status 0 after --count correct replies, or on SIGINT or SIGTERM; with \
            status 1, after the "abandoning" line and a one-line reason on standard error, \
            when the server does not answer.
            """
    )

    @Option(help: ArgumentHelp("The server to connect to, such as tcp://127.0.0.1:5555.", valueName: "endpoint"))
    var connect: String

    @Option(help: "How many times to send each request before giving up, the first time included.")
    var retries = 3

    @Option(name: .customLong("timeout-ms"), help: "How long each attempt waits for its reply, in milliseconds.")
    var timeoutMilliseconds = 2500

    @Option(help: "The number of requests to send.")
    var count = 10

    func validate() throws {
        if retries < 1 { throw ValidationError("--retries must be at least 1.") }
        if !(1...Int(Int32.max)).contains(timeoutMilliseconds) {
            throw ValidationError("--timeout-ms must be from 1 to \(Int32.max).")
        }
        if count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        try Demo.run { context in
            let timeout = Duration.milliseconds(timeoutMilliseconds)
            Console.error("lazy-pirate-client: connecting to \(connect)")
            var socket = try connectedSocket(in: context)
            var reply = Message()
            for sequence in 1...count {
                let request = String(sequence)
                try send(request, on: socket)
                var attemptsLeft = retries
                var deadline = ContinuousClock.now + timeout
                while true {
                    if try waitForReply(on: socket, until: deadline) {
                        guard let text = try receiveReply(on: socket, into: &reply) else { continue }
                        if text == request {
                            print("I: server replied OK (\(text))")
                            break
                        }
                        // Keep waiting out this attempt's time, as the Guide's client does.
                        print("E: malformed reply from server: \(text)")
                        continue
                    }
                    attemptsLeft -= 1
                    if attemptsLeft == 0 {
                        print("E: server seems to be offline, abandoning")
                        let attempts = retries == 1 ? "1 attempt" : "\(retries) attempts"
                        throw DemoError(
                            "no reply to request \(sequence) from \(connect) after \(attempts) of \(timeoutMilliseconds) ms")
                    }
                    print("W: no response from server, retrying...")
                    // The old socket may still hold the unanswered request, and a REQ socket
                    // would not send another; a new socket starts clean. Its linger is zero,
                    // so closing it drops the request at once.
                    socket.close()
                    Console.error("lazy-pirate-client: reconnecting to \(connect)")
                    socket = try connectedSocket(in: context)
                    try send(request, on: socket)
                    deadline = ContinuousClock.now + timeout
                }
            }
        }
    }

    /// A new REQ socket connected to the server, with linger 0 so that closing it drops any
    /// request it still holds.
    private func connectedSocket(in context: Context) throws -> RequestSocket {
        let socket = try RequestSocket(context: context)
        try socket.setOption(.linger, .zero)
        // A REQ socket queues a request until its connection is up, so a send never blocks
        // for long; the bound only keeps a wedged socket from hanging the client.
        try socket.setOption(.sendTimeout, .milliseconds(timeoutMilliseconds))
        try attempt("connect to '\(connect)'") { () throws(ZMQError) in try socket.connect(to: connect) }
        return socket
    }

    private func send(_ request: String, on socket: borrowing RequestSocket) throws {
        guard try socket.send(request) else {
            throw DemoError("could not send request \(request) to \(connect) within \(timeoutMilliseconds) ms")
        }
    }

    /// Receives a reply that the poller reported ready.
    ///
    /// - Returns: The reply's text, its frames joined with " | " if it has several (which
    ///   makes it malformed); `nil` if nothing was ready after all.
    private func receiveReply(on socket: borrowing RequestSocket, into reply: inout Message) throws -> String? {
        guard try socket.receive(into: &reply, .dontWait) else { return nil }
        var text = reply.string
        // The frames of a message arrive together, so the rest are ready too.
        while reply.hasMore, try socket.receive(into: &reply, .dontWait) {
            text += " | " + reply.string
        }
        return text
    }

    /// Polls the socket until a reply is ready or the deadline passes.
    ///
    /// - Returns: Whether a reply is ready.
    private func waitForReply(on socket: borrowing RequestSocket, until deadline: ContinuousClock.Instant) throws -> Bool {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return false }
        // A fresh poller per wait: it keeps the socket open while it lives, and the socket is
        // replaced on every retry.
        var poller = Poller(capacity: 1)
        let index = poller.add(socket, events: .readable)
        return try poller.poll(timeout: remaining) > 0 && poller.isReadable(at: index)
    }
}

LazyPirateClient.main()
