/* C versions of the allocation scenarios; see c_baseline.h. */
#include <string.h>
#include <zmq.h>

#include "c_baseline.h"
#include "malloc_counter.h"

/* A connected PAIR of sockets over inproc in a fresh context. */
static int open_pair(void **ctx, void **a, void **b)
{
    *ctx = zmq_ctx_new();
    *a = zmq_socket(*ctx, ZMQ_PAIR);
    *b = zmq_socket(*ctx, ZMQ_PAIR);
    if (!*a || !*b)
        return -1;
    if (zmq_bind(*a, "inproc://c-baseline") != 0 || zmq_connect(*b, "inproc://c-baseline") != 0)
        return -1;
    return 0;
}

static void close_pair(void *ctx, void *a, void *b)
{
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
}

/* A fresh zmq_msg_init_size message sent from a, received into one reused message on b. */
static int message_step(void *a, void *b, zmq_msg_t *received, int size)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t) size) != 0 || zmq_msg_send(&msg, a, 0) < 0)
        return -1;
    return zmq_msg_recv(received, b, 0) < 0 ? -1 : 0;
}

long c_baseline_message_pair(int size, int count)
{
    void *ctx, *a, *b;
    if (open_pair(&ctx, &a, &b) != 0)
        return -1;
    zmq_msg_t received;
    zmq_msg_init(&received);
    for (int i = 0; i < 1000; i++)
        if (message_step(a, b, &received, size) != 0)
            return -1;
    uint64_t before = malloc_counter_allocations();
    for (int i = 0; i < count; i++)
        if (message_step(a, b, &received, size) != 0)
            return -1;
    uint64_t after = malloc_counter_allocations();
    zmq_msg_close(&received);
    close_pair(ctx, a, b);
    return (long) (after - before);
}

/* One message bounced a -> b -> a; the payload moves, nothing is rebuilt. */
long c_baseline_echo(int size, int count)
{
    void *ctx, *a, *b;
    if (open_pair(&ctx, &a, &b) != 0)
        return -1;
    zmq_msg_t ping, pong;
    zmq_msg_init_size(&ping, (size_t) size);
    zmq_msg_init(&pong);
    uint64_t before = 0;
    for (int i = 0; i < 1000 + count; i++) {
        if (i == 1000)
            before = malloc_counter_allocations();
        if (zmq_msg_send(&ping, a, 0) < 0 || zmq_msg_recv(&pong, b, 0) < 0)
            return -1;
        if (zmq_msg_send(&pong, b, 0) < 0 || zmq_msg_recv(&ping, a, 0) < 0)
            return -1;
    }
    uint64_t after = malloc_counter_allocations();
    zmq_msg_close(&ping);
    zmq_msg_close(&pong);
    close_pair(ctx, a, b);
    return (long) (after - before);
}

/* zmq_send from a buffer, zmq_recv into a buffer of the same size. */
long c_baseline_buffer_pair(int size, int count)
{
    void *ctx, *a, *b;
    if (open_pair(&ctx, &a, &b) != 0)
        return -1;
    char out[65536], in[65536];
    if (size > (int) sizeof out)
        return -1;
    memset(out, 'x', (size_t) size);
    uint64_t before = 0;
    for (int i = 0; i < 1000 + count; i++) {
        if (i == 1000)
            before = malloc_counter_allocations();
        if (zmq_send(a, out, (size_t) size, 0) < 0 || zmq_recv(b, in, sizeof in, 0) < 0)
            return -1;
    }
    uint64_t after = malloc_counter_allocations();
    close_pair(ctx, a, b);
    return (long) (after - before);
}
