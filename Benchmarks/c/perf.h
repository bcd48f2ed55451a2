/*
 * Shared helpers for the C reference versions of libzmq's perf tools.
 * Every tool is a single .c file that includes this header:
 *     cc -O2 -o local_lat local_lat.c -lzmq
 */
#ifndef ZMQ_SWIFT_PERF_H
#define ZMQ_SWIFT_PERF_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zmq.h>

/* Report a failed zmq call ("error in zmq_xxx: <reason>") and exit. */
static inline void die(const char *call)
{
    fprintf(stderr, "error in %s: %s\n", call, zmq_strerror(zmq_errno()));
    exit(1);
}

static inline void usage(const char *synopsis)
{
    fprintf(stderr, "usage: %s\n", synopsis);
    exit(1);
}

/* Parse a decimal int of at least `min`; anything else is a usage error. */
static inline int parse_int(const char *text, long min, const char *synopsis)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > INT_MAX)
        usage(synopsis);
    return (int) value;
}

/* Microseconds from a monotonic clock. */
static inline uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static inline void check_size(zmq_msg_t *msg, int size)
{
    if (zmq_msg_size(msg) != (size_t) size) {
        fprintf(stderr, "message of incorrect size received: %zu [B], expected %d [B]\n",
                zmq_msg_size(msg), size);
        exit(1);
    }
}

/* REP side of a latency test: receive and echo back `count` messages. */
static inline void echo_loop(void *sock, int size, int count)
{
    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    for (int i = 0; i < count; i++) {
        if (zmq_msg_recv(&msg, sock, 0) < 0)
            die("zmq_msg_recv");
        check_size(&msg, size);
        if (zmq_msg_send(&msg, sock, 0) < 0)
            die("zmq_msg_send");
    }
    if (zmq_msg_close(&msg) != 0)
        die("zmq_msg_close");
}

/* REQ side of a latency test: time `count` round trips and print the report. */
static inline void ping_loop(void *sock, int size, int count)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t) size) != 0)
        die("zmq_msg_init_size");
    uint64_t start = now_us();
    for (int i = 0; i < count; i++) {
        if (zmq_msg_send(&msg, sock, 0) < 0)
            die("zmq_msg_send");
        if (zmq_msg_recv(&msg, sock, 0) < 0)
            die("zmq_msg_recv");
        check_size(&msg, size);
    }
    uint64_t elapsed = now_us() - start;
    if (zmq_msg_close(&msg) != 0)
        die("zmq_msg_close");

    double latency = (double) elapsed / ((double) count * 2);
    printf("message size: %d [B]\n", size);
    printf("roundtrip count: %d\n", count);
    printf("average latency: %.3f [us]\n", latency);
}

/* Sending side of a throughput test: a fresh message per send, as libzmq's tool does. */
static inline void send_loop(void *sock, int size, int count)
{
    for (int i = 0; i < count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size(&msg, (size_t) size) != 0)
            die("zmq_msg_init_size");
        if (zmq_msg_send(&msg, sock, 0) < 0)
            die("zmq_msg_send");
        if (zmq_msg_close(&msg) != 0)
            die("zmq_msg_close");
    }
}

/*
 * Receiving side of a throughput test: the clock starts once the first
 * message is in, so connection setup is not measured. Prints the report.
 */
static inline void recv_loop(void *sock, int size, int count)
{
    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        die("zmq_msg_init");
    if (zmq_msg_recv(&msg, sock, 0) < 0)
        die("zmq_msg_recv");
    check_size(&msg, size);

    uint64_t start = now_us();
    for (int i = 1; i < count; i++) {
        if (zmq_msg_recv(&msg, sock, 0) < 0)
            die("zmq_msg_recv");
        check_size(&msg, size);
    }
    uint64_t elapsed = now_us() - start;
    if (elapsed == 0)
        elapsed = 1;
    if (zmq_msg_close(&msg) != 0)
        die("zmq_msg_close");

    /* libzmq's own order of operations, so the tools agree to the last msg/s. */
    unsigned long throughput = (unsigned long) ((double) count / (double) elapsed * 1000000);
    double megabits = (double) throughput * size * 8 / 1000000;
    printf("message size: %d [B]\n", size);
    printf("message count: %d\n", count);
    printf("mean throughput: %lu [msg/s]\n", throughput);
    printf("mean throughput: %.3f [Mb/s]\n", megabits);
}

#endif
