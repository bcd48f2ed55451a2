/* remote_lat: REQ side of the latency test; times the round trips. */
#include "perf.h"

#define SYNOPSIS "remote_lat <connect-to> <message-size> <roundtrip-count>"

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
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    if (!sock)
        die("zmq_socket");
    if (zmq_connect(sock, connect_to) != 0)
        die("zmq_connect");

    ping_loop(sock, size, count);

    if (zmq_close(sock) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    return 0;
}
