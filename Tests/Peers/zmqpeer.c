/*
 * zmqpeer: one ZeroMQ socket driven from the command line, written against the system
 * libzmq in plain C. The Swift interoperability tests (Tests/ZeroMQTests/Interop) compile it
 * with `cc -O2 zmqpeer.c -lzmq` and run it as an independent peer; pyzmq runs a Python
 * program with the same command line (see InteropPeer.swift).
 *
 *   zmqpeer [options] <type> <bind|connect> <endpoint> [action ...]
 *
 * Options:
 *   --routing-id HEX                       ZMQ_ROUTING_ID
 *   --timeout MS                           send and receive timeout (default 10000)
 *   --curve-server SECRET                  CURVE server with this Z85 secret key
 *   --curve-client SERVER PUBLIC SECRET    CURVE client with these Z85 keys
 *   --plain-client USER PASSWORD           PLAIN client
 *
 * Actions, run in order:
 *   send FRAMES            send one message: FRAMES is hex frames joined by ',', '-' for empty
 *   recv N                 receive N messages, print each on a line (see below)
 *   echo N                 receive N messages, print each, and send each back as it came
 *   subscribe HEX          ZMQ_SUBSCRIBE (SUB), '-' for everything
 *   send-pattern SIZE SEED send one frame of SIZE pattern bytes
 *   expect-pattern SIZE SEED  receive one message, which must be exactly that frame;
 *                          prints "pattern SIZE ok"
 *   stream-echo BYTES      (STREAM) send data back to the connection it came from, until
 *                          BYTES bytes went back
 *   repeat MS FRAMES...    send the messages in turn every MS ms until standard input has a
 *                          line or ends (must be the last action)
 *   wait                   wait until standard input has a line or ends (at most 30 s)
 *   sleep MS               sleep
 *
 * A received message prints as its frames in lowercase hex, separated by one space, an
 * empty frame as '-'. The bound endpoint goes to stderr as "bound <endpoint>". Status 0 on
 * success; 1 with a one-line reason on stderr on any failure (a timeout included); 2 on a
 * usage error. Pattern byte i is (i * 31 + seed * 7 + (i >> 8)) mod 256.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_FRAMES 64

static void usage(const char *reason) {
    fprintf(stderr, "zmqpeer: %s\n", reason);
    fprintf(stderr, "usage: zmqpeer [options] <type> <bind|connect> <endpoint> [action ...]\n");
    exit(2);
}

static void fail(const char *what) {
    fprintf(stderr, "zmqpeer: %s\n", what);
    exit(1);
}

static void fail_zmq(const char *call) {
    int error = zmq_errno();
    fprintf(stderr, "zmqpeer: %s: %s\n", call, error == EAGAIN ? "timed out" : zmq_strerror(error));
    exit(1);
}

static long number(const char *text) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *text == '\0' || *end != '\0' || value < 0) usage("not a number");
    return value;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex text of `length` characters ("-" is empty) into a new buffer. */
static unsigned char *unhex(const char *text, size_t length, size_t *size) {
    if (length == 1 && text[0] == '-') length = 0;
    if (length % 2 != 0) usage("odd number of hex digits");
    unsigned char *bytes = malloc(length / 2 + 1);
    if (!bytes) fail("out of memory");
    for (size_t i = 0; i < length / 2; i++) {
        int high = hex_digit(text[2 * i]), low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0) usage("not a hex digit");
        bytes[i] = (unsigned char)(high * 16 + low);
    }
    *size = length / 2;
    return bytes;
}

static unsigned char pattern_byte(size_t i, long seed) {
    return (unsigned char)(i * 31 + (size_t)seed * 7 + (i >> 8));
}

static void send_frames(void *socket, const char *spec) {
    const char *starts[MAX_FRAMES];
    size_t lengths[MAX_FRAMES];
    int count = 0;
    for (const char *p = spec;;) {
        const char *comma = strchr(p, ',');
        size_t length = comma ? (size_t)(comma - p) : strlen(p);
        if (count == MAX_FRAMES) usage("too many frames");
        starts[count] = p;
        lengths[count++] = length;
        if (!comma) break;
        p = comma + 1;
    }
    for (int i = 0; i < count; i++) {
        size_t size;
        unsigned char *bytes = unhex(starts[i], lengths[i], &size);
        if (zmq_send(socket, bytes, size, i + 1 < count ? ZMQ_SNDMORE : 0) < 0) fail_zmq("zmq_send");
        free(bytes);
    }
}

/* Receives one message into `frames` (initialized here); returns the number of frames. */
static int receive(void *socket, zmq_msg_t *frames) {
    int count = 0;
    int more = 1;
    while (more) {
        if (count == MAX_FRAMES) fail("a message with too many frames");
        zmq_msg_init(&frames[count]);
        if (zmq_msg_recv(&frames[count], socket, 0) < 0) fail_zmq("zmq_msg_recv");
        more = zmq_msg_more(&frames[count]);
        count++;
    }
    return count;
}

static void print_message(zmq_msg_t *frames, int count) {
    for (int i = 0; i < count; i++) {
        const unsigned char *data = zmq_msg_data(&frames[i]);
        size_t size = zmq_msg_size(&frames[i]);
        if (i > 0) putchar(' ');
        if (size == 0) putchar('-');
        for (size_t j = 0; j < size; j++) printf("%02x", data[j]);
    }
    putchar('\n');
    fflush(stdout);
}

static void send_back(void *socket, zmq_msg_t *frames, int count) {
    for (int i = 0; i < count; i++) {
        if (zmq_msg_send(&frames[i], socket, i + 1 < count ? ZMQ_SNDMORE : 0) < 0) fail_zmq("zmq_msg_send");
    }
}

static void close_all(zmq_msg_t *frames, int count) {
    for (int i = 0; i < count; i++) zmq_msg_close(&frames[i]);
}

/* Whether standard input has a line or ended within `milliseconds`. */
static int stdin_ready(int milliseconds) {
    struct pollfd input = {.fd = 0, .events = POLLIN};
    int ready = poll(&input, 1, milliseconds);
    if (ready < 0 && errno != EINTR) fail("poll on standard input failed");
    return ready > 0;
}

static void sleep_ms(long milliseconds) {
    struct timespec pause = {.tv_sec = milliseconds / 1000, .tv_nsec = (milliseconds % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) < 0 && errno == EINTR) {}
}

static void stream_echo(void *socket, long total) {
    long echoed = 0;
    while (echoed < total) {
        zmq_msg_t frames[MAX_FRAMES];
        int count = receive(socket, frames);
        if (count != 2) fail("a STREAM message without two frames");
        size_t size = zmq_msg_size(&frames[1]);
        if (size > 0) {  /* an empty frame only announces a connection or its end */
            send_back(socket, frames, count);
            echoed += (long)size;
        }
        close_all(frames, count);
    }
}

static void expect_pattern(void *socket, long size, long seed) {
    zmq_msg_t frames[MAX_FRAMES];
    int count = receive(socket, frames);
    if (count != 1) fail("expected a single-frame message");
    if ((long)zmq_msg_size(&frames[0]) != size) fail("the pattern message has the wrong size");
    const unsigned char *data = zmq_msg_data(&frames[0]);
    for (long i = 0; i < size; i++) {
        if (data[i] != pattern_byte((size_t)i, seed)) fail("the pattern message has a wrong byte");
    }
    close_all(frames, count);
    printf("pattern %ld ok\n", size);
    fflush(stdout);
}

static void send_pattern(void *socket, long size, long seed) {
    zmq_msg_t message;
    if (zmq_msg_init_size(&message, (size_t)size) < 0) fail_zmq("zmq_msg_init_size");
    unsigned char *data = zmq_msg_data(&message);
    for (long i = 0; i < size; i++) data[i] = pattern_byte((size_t)i, seed);
    if (zmq_msg_send(&message, socket, 0) < 0) fail_zmq("zmq_msg_send");
}

static int socket_type(const char *name) {
    static const struct { const char *name; int type; } types[] = {
        {"pair", ZMQ_PAIR}, {"pub", ZMQ_PUB}, {"sub", ZMQ_SUB}, {"req", ZMQ_REQ},
        {"rep", ZMQ_REP}, {"dealer", ZMQ_DEALER}, {"router", ZMQ_ROUTER}, {"pull", ZMQ_PULL},
        {"push", ZMQ_PUSH}, {"xpub", ZMQ_XPUB}, {"xsub", ZMQ_XSUB}, {"stream", ZMQ_STREAM},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(name, types[i].name) == 0) return types[i].type;
    }
    usage("unknown socket type");
    return -1;
}

static void set_option(void *socket, int option, const void *value, size_t size, const char *name) {
    if (zmq_setsockopt(socket, option, value, size) < 0) fail_zmq(name);
}

int main(int argc, char **argv) {
    int arg = 1;
    void *context = zmq_ctx_new();
    if (!context) fail_zmq("zmq_ctx_new");
    const char *routing_id = NULL, *curve_server = NULL, *curve_client[3] = {NULL, NULL, NULL};
    const char *plain_client[2] = {NULL, NULL};
    int timeout = 10000;
    while (arg < argc && strncmp(argv[arg], "--", 2) == 0) {
        const char *option = argv[arg++];
        int needs = strcmp(option, "--curve-client") == 0 ? 3 : strcmp(option, "--plain-client") == 0 ? 2 : 1;
        if (arg + needs > argc) usage("an option lacks its value");
        if (strcmp(option, "--routing-id") == 0) routing_id = argv[arg];
        else if (strcmp(option, "--timeout") == 0) timeout = (int)number(argv[arg]);
        else if (strcmp(option, "--curve-server") == 0) curve_server = argv[arg];
        else if (strcmp(option, "--curve-client") == 0) memcpy(curve_client, &argv[arg], sizeof curve_client);
        else if (strcmp(option, "--plain-client") == 0) memcpy(plain_client, &argv[arg], sizeof plain_client);
        else usage("unknown option");
        arg += needs;
    }
    if (arg + 3 > argc) usage("missing type, bind|connect or endpoint");
    void *socket = zmq_socket(context, socket_type(argv[arg]));
    if (!socket) fail_zmq("zmq_socket");
    const char *mode = argv[arg + 1], *endpoint = argv[arg + 2];
    arg += 3;

    int linger = 2000, on = 1;
    set_option(socket, ZMQ_LINGER, &linger, sizeof linger, "ZMQ_LINGER");
    set_option(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout, "ZMQ_RCVTIMEO");
    set_option(socket, ZMQ_SNDTIMEO, &timeout, sizeof timeout, "ZMQ_SNDTIMEO");
    if (routing_id) {
        size_t size;
        unsigned char *id = unhex(routing_id, strlen(routing_id), &size);
        set_option(socket, ZMQ_ROUTING_ID, id, size, "ZMQ_ROUTING_ID");
        free(id);
    }
    if (curve_server) {
        set_option(socket, ZMQ_CURVE_SERVER, &on, sizeof on, "ZMQ_CURVE_SERVER");
        set_option(socket, ZMQ_CURVE_SECRETKEY, curve_server, strlen(curve_server), "ZMQ_CURVE_SECRETKEY");
    }
    if (curve_client[0]) {
        set_option(socket, ZMQ_CURVE_SERVERKEY, curve_client[0], strlen(curve_client[0]), "ZMQ_CURVE_SERVERKEY");
        set_option(socket, ZMQ_CURVE_PUBLICKEY, curve_client[1], strlen(curve_client[1]), "ZMQ_CURVE_PUBLICKEY");
        set_option(socket, ZMQ_CURVE_SECRETKEY, curve_client[2], strlen(curve_client[2]), "ZMQ_CURVE_SECRETKEY");
    }
    if (plain_client[0]) {
        set_option(socket, ZMQ_PLAIN_USERNAME, plain_client[0], strlen(plain_client[0]), "ZMQ_PLAIN_USERNAME");
        set_option(socket, ZMQ_PLAIN_PASSWORD, plain_client[1], strlen(plain_client[1]), "ZMQ_PLAIN_PASSWORD");
    }

    if (strcmp(mode, "bind") == 0) {
        if (zmq_bind(socket, endpoint) < 0) fail_zmq("zmq_bind");
        char bound[1024];
        size_t size = sizeof bound;
        if (zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &size) < 0) fail_zmq("ZMQ_LAST_ENDPOINT");
        fprintf(stderr, "bound %s\n", bound);
    } else if (strcmp(mode, "connect") == 0) {
        if (zmq_connect(socket, endpoint) < 0) fail_zmq("zmq_connect");
    } else {
        usage("expected bind or connect");
    }

    while (arg < argc) {
        const char *action = argv[arg++];
        int needs = strcmp(action, "wait") == 0 ? 0
            : strcmp(action, "send-pattern") == 0 || strcmp(action, "expect-pattern") == 0 ? 2
            : strcmp(action, "repeat") == 0 ? 2 : 1;
        if (arg + needs > argc) usage("an action lacks its argument");
        if (strcmp(action, "send") == 0) {
            send_frames(socket, argv[arg]);
        } else if (strcmp(action, "recv") == 0 || strcmp(action, "echo") == 0) {
            for (long n = number(argv[arg]); n > 0; n--) {
                zmq_msg_t frames[MAX_FRAMES];
                int count = receive(socket, frames);
                print_message(frames, count);
                if (action[0] == 'e') send_back(socket, frames, count);
                close_all(frames, count);
            }
        } else if (strcmp(action, "subscribe") == 0) {
            size_t size;
            unsigned char *prefix = unhex(argv[arg], strlen(argv[arg]), &size);
            set_option(socket, ZMQ_SUBSCRIBE, prefix, size, "ZMQ_SUBSCRIBE");
            free(prefix);
        } else if (strcmp(action, "send-pattern") == 0) {
            send_pattern(socket, number(argv[arg]), number(argv[arg + 1]));
        } else if (strcmp(action, "expect-pattern") == 0) {
            expect_pattern(socket, number(argv[arg]), number(argv[arg + 1]));
        } else if (strcmp(action, "stream-echo") == 0) {
            stream_echo(socket, number(argv[arg]));
        } else if (strcmp(action, "repeat") == 0) {
            long interval = number(argv[arg]);
            int first = arg + 1;
            for (int next = first; !stdin_ready((int)interval); next = next + 1 < argc ? next + 1 : first) {
                send_frames(socket, argv[next]);
            }
            needs = argc - arg;
        } else if (strcmp(action, "wait") == 0) {
            if (!stdin_ready(30000)) fail("nothing on standard input in 30 s");
        } else if (strcmp(action, "sleep") == 0) {
            sleep_ms(number(argv[arg]));
        } else {
            usage("unknown action");
        }
        arg += needs;
    }

    if (zmq_close(socket) < 0) fail_zmq("zmq_close");
    if (zmq_ctx_term(context) < 0) fail_zmq("zmq_ctx_term");
    return 0;
}
