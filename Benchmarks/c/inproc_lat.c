/* inproc_lat: latency test with both ends in one process over inproc://. */
#include <pthread.h>
#include "perf.h"

#define SYNOPSIS "inproc_lat <message-size> <roundtrip-count>"
#define ENDPOINT "inproc://lat_test"

struct job {
    void *ctx;
    int size;
    int count;
};

/* The REP end, on its own thread. */
static void *echo_thread(void *arg)
{
    const struct job *job = arg;
    void *sock = zmq_socket(job->ctx, ZMQ_REP);
    if (!sock)
        die("zmq_socket");
    if (zmq_connect(sock, ENDPOINT) != 0)
        die("zmq_connect");
    echo_loop(sock, job->size, job->count);
    if (zmq_close(sock) != 0)
        die("zmq_close");
    return NULL;
}

int main(int argc, char *argv[])
{
    if (argc != 3)
        usage(SYNOPSIS);
    struct job job;
    job.size = parse_int(argv[1], 0, SYNOPSIS);
    job.count = parse_int(argv[2], 1, SYNOPSIS);

    job.ctx = zmq_ctx_new();
    if (!job.ctx)
        die("zmq_ctx_new");
    void *sock = zmq_socket(job.ctx, ZMQ_REQ);
    if (!sock)
        die("zmq_socket");
    if (zmq_bind(sock, ENDPOINT) != 0)
        die("zmq_bind");

    pthread_t thread;
    if (pthread_create(&thread, NULL, echo_thread, &job) != 0) {
        fprintf(stderr, "error in pthread_create\n");
        return 1;
    }

    ping_loop(sock, job.size, job.count);

    pthread_join(thread, NULL);
    if (zmq_close(sock) != 0)
        die("zmq_close");
    if (zmq_ctx_term(job.ctx) != 0)
        die("zmq_ctx_term");
    return 0;
}
