// zmqcat: send and receive ZeroMQ messages from the shell, with any socket type.
//
//     zmqcat req --connect tcp://127.0.0.1:5555 --send ping --timeout-ms 1000
//     zmqcat sub --connect tcp://127.0.0.1:5556 --subscribe weather --format quoted
//
// See `zmqcat --help`, and Zmqcat.swift, for everything it does. Exit status: 0 done,
// 1 timeout/refusal/runtime error, 2 usage or endpoint error.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ExampleSupport

// A reader that goes away (`zmqcat sub … | head -1`) makes the next write fail with EPIPE,
// which ends zmqcat with status 0, rather than killing it with SIGPIPE.
_ = signal(SIGPIPE, SIG_IGN)
runHidingSecrets(Zmqcat.self, secretOptions: ["--curve-secret-key", "--plain-user"], usageErrorExitCode: ExitCode(2))
