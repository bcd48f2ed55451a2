#!/usr/bin/env python3
"""A pyzmq REQ client that measures an echo server's round trips per second.

It sends requests one at a time and checks that each reply equals its request. After a
warm-up (which also waits for the server to come up), it counts round trips for --seconds
and prints the rate on stdout. Given the server's process id, it also prints the CPU time
the server used per round trip (user + system, all its threads, in microseconds), which a
busy machine disturbs much less than the rate: "<round trips/s> <server CPU us/round trip>".

    python3 client.py --connect tcp://127.0.0.1:5555 --size 102400   # random frames
    python3 client.py --connect tcp://127.0.0.1:5555 --text          # "msg 0", "msg 1", ...
"""

import argparse
import os
import sys
import time

import zmq


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connect", required=True, help="the server's endpoint")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--size", type=int, help="send random frames of this many bytes")
    kind.add_argument("--text", action="store_true", help='send short text, "msg <n>"')
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to measure")
    parser.add_argument("--warmup", type=int, default=200, help="round trips before measuring")
    parser.add_argument("--server-pid", type=int, help="the server's process id, to measure its CPU time")
    arguments = parser.parse_args()

    if arguments.text:
        requests = [f"msg {n}".encode() for n in range(1000)]
    else:
        # A few distinct random frames, so that no two requests in a row are the same.
        requests = [os.urandom(arguments.size) for _ in range(16)]

    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    socket.setsockopt(zmq.RCVTIMEO, 10_000)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(arguments.connect)

    def server_cpu_seconds() -> float:
        # utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks.
        with open(f"/proc/{arguments.server_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def round_trip(index: int) -> None:
        request = requests[index % len(requests)]
        socket.send(request, copy=len(request) < 65536)
        reply = socket.recv()
        if reply != request:
            raise SystemExit(f"client.py: reply {index} differs from its request")

    try:
        for index in range(arguments.warmup):
            round_trip(index)
        done = 0
        cpu_start = server_cpu_seconds() if arguments.server_pid else 0.0
        start = time.perf_counter()
        deadline = start + arguments.seconds
        while True:
            round_trip(done)
            done += 1
            if done % 16 == 0 and time.perf_counter() >= deadline:
                break
        elapsed = time.perf_counter() - start
        cpu = server_cpu_seconds() - cpu_start if arguments.server_pid else None
    except zmq.Again:
        print("client.py: no reply within 10 s", file=sys.stderr)
        return 1
    finally:
        socket.close()
        context.term()
    if cpu is None:
        print(f"{done / elapsed:.0f}")
    else:
        print(f"{done / elapsed:.0f} {cpu / done * 1e6:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
