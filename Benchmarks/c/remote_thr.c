/*
 * remote_thr: PUSH side of the throughput test.
 *
 * Closing right after the last send can lose the tail of the stream even
 * with ZMQ_LINGER set (libzmq issue 4660, seen over ipc://). So the sender
 * watches its own socket with a monitor and only closes once local_thr,
 * having received everything, has dropped the connection.
 */
#include "perf.h"

#define SYNOPSIS "remote_thr <connect-to> <message-size> <message-count>"
#define MONITOR_ENDPOINT "inproc://remote_thr.monitor"
#define DISCONNECT_WAIT_MS 10000

/* Wait for ZMQ_EVENT_DISCONNECTED on the monitor; returns 0 on timeout. */
static int await_disconnect(void *monitor)
{
    int timeout = DISCONNECT_WAIT_MS;
    if (zmq_setsockopt(monitor, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0)
        die("zmq_setsockopt");
    /* Each event is two frames: (uint16 event, uint32 value) and the endpoint. */
    zmq_msg_t frame;
    if (zmq_msg_init(&frame) != 0)
        die("zmq_msg_init");
    int got = 1;
    if (zmq_msg_recv(&frame, monitor, 0) < 0) {
        if (zmq_errno() != EAGAIN)
            die("zmq_msg_recv");
        got = 0;
    }
    while (got && zmq_msg_more(&frame)) {
        if (zmq_msg_recv(&frame, monitor, 0) < 0)
            die("zmq_msg_recv");
    }
    if (zmq_msg_close(&frame) != 0)
        die("zmq_msg_close");
    return got;
}

int main(int argc, char *argv[])
{
    if (argc != 4)
        usage(SYNOPSIS);
    const char *connect_to = argv[1];
    int size = parse_int(argv[2], 0, SYNOPSIS);
    int count = parse_int(argv[3], 1, SYNOPSIS);

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *sock = zmq_socket(ctx, ZMQ_PUSH);
    if (!sock)
        die("zmq_socket");
    int linger = -1;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0)
        die("zmq_setsockopt");
    /* The monitor only reports disconnects, so its first event is the one we want. */
    if (zmq_socket_monitor(sock, MONITOR_ENDPOINT, ZMQ_EVENT_DISCONNECTED) != 0)
        die("zmq_socket_monitor");
    void *monitor = zmq_socket(ctx, ZMQ_PAIR);
    if (!monitor)
        die("zmq_socket");
    if (zmq_connect(monitor, MONITOR_ENDPOINT) != 0)
        die("zmq_connect");
    if (zmq_connect(sock, connect_to) != 0)
        die("zmq_connect");

    send_loop(sock, size, count);

    /*
     * Once the receiver has gone, nothing left in the queue can reach it and
     * an infinite linger would hang zmq_ctx_term while we reconnect, so drop
     * it. If it never goes (cap reached), keep the infinite linger instead.
     */
    if (await_disconnect(monitor)) {
        linger = 0;
        if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0)
            die("zmq_setsockopt");
    }

    if (zmq_socket_monitor(sock, NULL, 0) != 0)
        die("zmq_socket_monitor");
    if (zmq_close(monitor) != 0)
        die("zmq_close");
    if (zmq_close(sock) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    return 0;
}
