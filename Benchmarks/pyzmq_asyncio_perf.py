#!/usr/bin/env python3
"""pyzmq asyncio (zmq.asyncio) versions of libzmq's perf tools, for comparison with the Swift
async tools: the same arguments and the same printed lines.

  pyzmq_asyncio_perf.py local_lat  <bind-to>    <message-size> <roundtrip-count>
  pyzmq_asyncio_perf.py remote_lat <connect-to> <message-size> <roundtrip-count>
  pyzmq_asyncio_perf.py local_thr  <bind-to>    <message-size> <message-count>
  pyzmq_asyncio_perf.py remote_thr <connect-to> <message-size> <message-count>
  pyzmq_asyncio_perf.py inproc_lat <message-size> <roundtrip-count>
  pyzmq_asyncio_perf.py inproc_thr <message-size> <message-count>
  pyzmq_asyncio_perf.py sockets    <socket-count> <message-count>

Every send and receive is awaited on zmq.asyncio sockets in one asyncio event loop (the
inproc tools run both ends as two tasks of that loop). Frames are received as bytes (copy=True)
below 64 KiB, pyzmq's own copy threshold, and as zero-copy Frames above it. `sockets` is the
counterpart of async_sockets: socket-count PULL sockets, each awaited by its own task, fed
64-byte messages round-robin by one PUSH socket; it prints `sockets:`, `threads:` and
`mean throughput:`.
"""
import asyncio
import os
import sys
import time

try:
    import zmq
    import zmq.asyncio
except ImportError:
    sys.exit("pyzmq_asyncio_perf.py: pyzmq is not installed (python3 -m pip install pyzmq)")

COPY_THRESHOLD = 65536


def usage(tool):
    if tool in ("inproc_lat", "inproc_thr"):
        count = "roundtrip-count" if tool.endswith("lat") else "message-count"
        return f"usage: {tool} <message-size> <{count}>"
    if tool == "sockets":
        return "usage: sockets <socket-count> <message-count>"
    where = "bind-to" if tool.startswith("local") else "connect-to"
    count = "roundtrip-count" if tool.endswith("lat") else "message-count"
    return f"usage: {tool} <{where}> <message-size> <{count}>"


def now_us():
    return time.monotonic_ns() // 1000


def print_latency(size, roundtrips, elapsed_us):
    print(f"message size: {size} [B]")
    print(f"roundtrip count: {roundtrips}")
    print(f"average latency: {elapsed_us / (roundtrips * 2):.3f} [us]")


def print_throughput(size, count, elapsed_us):
    elapsed_us = max(elapsed_us, 1)
    throughput = int(count / elapsed_us * 1_000_000)
    print(f"message size: {size} [B]")
    print(f"message count: {count}")
    print(f"mean throughput: {throughput} [msg/s]")
    print(f"mean throughput: {throughput * size * 8 / 1_000_000:.3f} [Mb/s]")


def check_size(frame, size):
    n = len(frame) if isinstance(frame, bytes) else len(frame.buffer)
    if n != size:
        sys.exit(f"message of incorrect size received: {n} [B], expected {size} [B]")


async def echo(socket, size, count):
    copy = size < COPY_THRESHOLD
    for _ in range(count):
        frame = await socket.recv(copy=copy)
        check_size(frame, size)
        await socket.send(frame, copy=copy)


async def ping(socket, size, count):
    copy = size < COPY_THRESHOLD
    payload = b"\0" * size
    start = now_us()
    for _ in range(count):
        await socket.send(payload, copy=copy)
        frame = await socket.recv(copy=copy)
        check_size(frame, size)
    print_latency(size, count, now_us() - start)


async def push(socket, size, count):
    copy = size < COPY_THRESHOLD
    for _ in range(count):
        # A fresh payload per send, as libzmq's remote_thr makes one.
        await socket.send(bytes(size), copy=copy)


async def pull(socket, size, count):
    copy = size < COPY_THRESHOLD
    frame = await socket.recv(copy=copy)
    check_size(frame, size)
    start = now_us()
    for _ in range(count - 1):
        frame = await socket.recv(copy=copy)
        check_size(frame, size)
    print_throughput(size, count, now_us() - start)


def thread_count():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


async def sockets(context, socket_count, count):
    """socket-count PULL sockets, each awaited by its own task; one PUSH deals out `count`
    64-byte messages; the receiver of the last message ends the test."""
    size = 64
    state = {"received": 0, "start": 0, "end": 0, "peak": thread_count()}
    done = asyncio.get_running_loop().create_future()
    pulls = []
    for index in range(socket_count):
        socket = context.socket(zmq.PULL)
        socket.bind(f"inproc://sockets-{index}")
        pulls.append(socket)

    async def receive(socket):
        while True:
            frame = await socket.recv()
            check_size(frame, size)
            state["received"] += 1
            if state["received"] == 1:
                state["start"] = now_us()
            if state["received"] == count:
                state["end"] = now_us()
                done.set_result(None)
                return

    receivers = [asyncio.create_task(receive(socket)) for socket in pulls]
    await asyncio.sleep(0)  # every receiver now waits in recv
    sender = context.socket(zmq.PUSH)
    for index in range(socket_count):
        sender.connect(f"inproc://sockets-{index}")
    state["peak"] = max(state["peak"], thread_count())
    for number in range(count):
        await sender.send(bytes(size))
        if number & 1023 == 0:
            state["peak"] = max(state["peak"], thread_count())
    await done
    state["peak"] = max(state["peak"], thread_count())
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    sender.close(linger=0)
    for socket in pulls:
        socket.close(linger=0)
    elapsed = max(state["end"] - state["start"], 1)
    print(f"sockets: {socket_count}")
    print(f"threads: {state['peak']}")
    print(f"mean throughput: {int(count / elapsed * 1_000_000)} [msg/s]")


async def main(tool, args):
    if tool in ("inproc_lat", "inproc_thr", "sockets"):
        if len(args) != 2:
            sys.exit(usage(tool))
        endpoint, size, count = None, args[0], args[1]
    else:
        if len(args) != 3:
            sys.exit(usage(tool))
        endpoint, size, count = args
    try:
        size, count = int(size), int(count)
    except ValueError:
        sys.exit(usage(tool))
    if size < 0 or count <= 0:
        sys.exit(usage(tool))

    if tool == "sockets":
        if size <= 0:
            sys.exit(usage(tool))
        try:
            import resource
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            wanted = size + 256
            if soft != resource.RLIM_INFINITY and soft < wanted:
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        except (ImportError, ValueError, OSError):
            pass
        context = zmq.asyncio.Context(io_threads=0)
        context.max_sockets = size + 16
        await sockets(context, size, count)
        context.term()
        return

    context = zmq.asyncio.Context()
    if tool == "inproc_lat":
        client = context.socket(zmq.REQ)
        client.bind("inproc://lat_test")
        server = context.socket(zmq.REP)
        server.connect("inproc://lat_test")
        await asyncio.gather(ping(client, size, count), echo(server, size, count))
        sockets_ = [client, server]
    elif tool == "inproc_thr":
        receiver = context.socket(zmq.PULL)
        receiver.bind("inproc://thr_test")
        sender = context.socket(zmq.PUSH)
        sender.connect("inproc://thr_test")
        await asyncio.gather(pull(receiver, size, count), push(sender, size, count))
        sockets_ = [receiver, sender]
    elif tool == "local_lat":
        socket = context.socket(zmq.REP)
        socket.bind(endpoint)
        await echo(socket, size, count)
        sockets_ = [socket]
    elif tool == "remote_lat":
        socket = context.socket(zmq.REQ)
        socket.connect(endpoint)
        await ping(socket, size, count)
        sockets_ = [socket]
    elif tool == "local_thr":
        socket = context.socket(zmq.PULL)
        socket.bind(endpoint)
        await pull(socket, size, count)
        sockets_ = [socket]
    elif tool == "remote_thr":
        socket = context.socket(zmq.PUSH)
        socket.connect(endpoint)
        await push(socket, size, count)
        sockets_ = [socket]
    else:
        sys.exit(f"pyzmq_asyncio_perf.py: unknown tool '{tool}'\n" + __doc__)
    # Close with the default linger (for ever) and terminate: whatever is queued, such as
    # remote_thr's tail or local_lat's last reply, goes out first, as the C tools do.
    for socket in sockets_:
        socket.close()
    context.term()


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) >= 2 else 1)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2:]))
    except KeyboardInterrupt:
        sys.exit(0)
    except zmq.ZMQError as error:
        sys.exit(f"error: {error}")
