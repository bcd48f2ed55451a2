import Synchronization
import Testing
import ZeroMQ

// Blocking and async use of different sockets in one process: blocking sockets on threads of
// their own (SocketThread), async sockets in tasks, talking to each other at the same time.

@Suite("Async and blocking sockets together")
struct AsyncMixedTests {
    @Test("Async REQ clients in tasks talk to a blocking REP server on a SocketThread", arguments: Transport.allCases)
    func asyncClientsBlockingServer(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let clients = 8
        let rounds = 25
        let rep = try makePatientSocket(SocketType.Rep.self, context: context)
        let endpoint = try rep.bind(to: transport.bindEndpoint()).endpoint
        let server = try SocketThread(name: "test-rep") { [rep = consume rep] () throws(ZMQError) -> Int in
            var served = 0
            var request = Message()
            while served < clients * rounds {
                guard try rep.receive(into: &request) else { break }
                try rep.send("re: \(request.string)")
                served += 1
            }
            return served
        }

        let progress = Progress()
        let replies = try await withWatchdog("async REQ clients over \(transport)", context: context, progress: progress) {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        let req = try makePatientSocket(SocketType.Req.self, context: context)
                        try req.connect(to: endpoint)
                        var replies: [String] = []
                        for round in 0..<rounds {
                            #expect(try await req.send("client \(client) round \(round)"))
                            replies.append(try await req.receiveString() ?? "no reply")
                            progress.tick()
                        }
                        return replies
                    }
                }
                var all: [[String]] = []
                for try await replies in group { all.append(replies) }
                return all
            }
        }
        #expect(try await server.value() == clients * rounds)
        let sorted = replies.sorted { $0.first ?? "" < $1.first ?? "" }
        #expect(sorted == (0..<clients).map { client in (0..<rounds).map { "re: client \(client) round \($0)" } })
    }

    @Test("Async and blocking PUSH/PULL pairs stream to each other at the same time", arguments: Transport.allCases)
    func pipelinesBothWays(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let count = 1_000

        // Blocking PUSH on a thread → async PULL here.
        let asyncPull = try makePatientSocket(SocketType.Pull.self, context: context)
        let toAsync = try asyncPull.bind(to: transport.bindEndpoint()).endpoint
        let receivedHereAll = TaskFlag()
        let blockingSender = try SocketThread(name: "test-push") { () throws(ZMQError) -> Int in
            let push = try makePatientSocket(SocketType.Push.self, context: context)
            try push.connect(to: toAsync)
            var sent = 0
            for index in 0..<count where try push.send("to async \(index)") { sent += 1 }
            // Stay open until everything is delivered: a linger of zero drops what is queued.
            _ = waitUntil { receivedHereAll.isRaised }
            return sent
        }

        // Async PUSH in a task → blocking PULL on a thread.
        let blockingPull = try makePatientSocket(SocketType.Pull.self, context: context)
        let toBlocking = try blockingPull.bind(to: transport.bindEndpoint()).endpoint
        let blockingReceiver = try SocketThread(name: "test-pull") { [blockingPull = consume blockingPull] () throws(ZMQError) -> [String] in
            var received: [String] = []
            while received.count < count, let text = try blockingPull.receiveString() {
                received.append(text)
            }
            return received
        }
        let progress = Progress()
        let asyncSender = progress.cancelOnStall(Task {
            let push = try makePatientSocket(SocketType.Push.self, context: context)
            try push.connect(to: toBlocking)
            for index in 0..<count {
                #expect(try await push.send("to blocking \(index)"))
            }
            // Keep the socket open until the thread has everything.
            while !blockingReceiver.isFinished { try await Task.sleep(for: .milliseconds(5)) }
        })

        var receivedHere: [String] = []
        try await withWatchdog("mixed pipelines over \(transport)", context: context, progress: progress) {
            for _ in 0..<count {
                guard let text = try await asyncPull.receiveString() else { break }
                receivedHere.append(text)
                progress.tick()
            }
            receivedHereAll.raise()
            try await asyncSender.value
        }
        #expect(receivedHere == (0..<count).map { "to async \($0)" })
        #expect(try await blockingSender.value() == count)
        #expect(try await blockingReceiver.value() == (0..<count).map { "to blocking \($0)" })
    }
}
