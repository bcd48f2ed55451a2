/* local_thr: PULL side of the throughput test; measures and reports. */
#include "perf.h"

#define SYNOPSIS "local_thr <bind-to> <message-size> <message-count>"

int main(int argc, char *argv[])
{
    if (argc != 4)
        usage(SYNOPSIS);
    const char *bind_to = argv[1];
    int size = parse_int(argv[2], 0, SYNOPSIS);
    int count = parse_int(argv[3], 1, SYNOPSIS);

    void *ctx = zmq_ctx_new();
    if (!ctx)
        die("zmq_ctx_new");
    void *sock = zmq_socket(ctx, ZMQ_PULL);
    if (!sock)
        die("zmq_socket");
    if (zmq_bind(sock, bind_to) != 0)
        die("zmq_bind");

    recv_loop(sock, size, count);

    /* Closing drops the connection, which tells remote_thr it may exit. */
    if (zmq_close(sock) != 0)
        die("zmq_close");
    if (zmq_ctx_term(ctx) != 0)
        die("zmq_ctx_term");
    return 0;
}
