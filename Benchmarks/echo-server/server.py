#!/usr/bin/env python3
"""A pyzmq REP echo server that prints the same line as Examples/echo-server.

For each request it prints "Got <frame> | <frame> | ...", where a frame that is valid UTF-8
without control characters is shown as its text and any other frame as
"<N bytes: HEX...>" (its size and the hex of its first 8 bytes, "..." when there are more),
then sends the frames back unchanged. Like the Swift demo, whose standard output is line
buffered, it flushes each line. Status goes to stderr; SIGTERM or SIGINT ends it.

    python3 server.py --bind tcp://127.0.0.1:5555
"""

import argparse
import re
import signal
import sys

import zmq

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
PREFIX = 8


def describe(frame: bytes) -> str:
    """The frame as the echo-server demo prints it."""
    try:
        text = frame.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and CONTROL.search(text) is None:
        return text
    more = "..." if len(frame) > PREFIX else ""
    return f"<{len(frame)} bytes: {frame[:PREFIX].hex()}{more}>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", required=True, help="the endpoint to bind")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.bind(arguments.bind)
    print(f"server.py: bound to {arguments.bind}", file=sys.stderr, flush=True)
    try:
        while True:
            frames = socket.recv_multipart()
            print("Got " + " | ".join(describe(frame) for frame in frames), flush=True)
            socket.send_multipart(frames)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        socket.close(linger=0)
        context.term()


if __name__ == "__main__":
    main()
