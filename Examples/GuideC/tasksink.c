//  Task sink
//  Binds PULL socket to tcp://localhost:5558
//  Collects results from workers via that socket
//
//  tasksink.c from chapter 1 of the ZeroMQ Guide, kept as it is so that the tests can mix
//  it with the Swift demos (Tests/ExamplesTests/GuideInteropTests.swift). The helpers it
//  used from zhelpers.h are inlined, and the endpoint may be given as an argument:
//
//      cc -O2 tasksink.c -lzmq -o tasksink
//      ./tasksink [BIND]                              # default tcp://*:5558

#include <zmq.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

//  Receive 0MQ string from socket and convert into C string   (zhelpers.h)
//  Caller must free returned string. Returns NULL if the context
//  is being terminated.
static char *
s_recv (void *socket) {
    enum { cap = 256 };
    char buffer [cap];
    int size = zmq_recv (socket, buffer, cap - 1, 0);
    if (size == -1)
        return NULL;
    buffer[size < cap ? size : cap - 1] = '\0';
    return strndup (buffer, sizeof(buffer) - 1);
}

//  Return current system clock as milliseconds   (zhelpers.h)
static int64_t
s_clock (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) (tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

int main (int argc, char *argv [])
{
    const char *endpoint = argc > 1 ? argv [1] : "tcp://*:5558";

    //  Prepare our context and socket
    void *context = zmq_ctx_new ();
    void *receiver = zmq_socket (context, ZMQ_PULL);
    zmq_bind (receiver, endpoint);

    //  Wait for start of batch
    char *string = s_recv (receiver);
    free (string);

    //  Start our clock now
    int64_t start_time = s_clock ();

    //  Process 100 confirmations
    int task_nbr;
    for (task_nbr = 0; task_nbr < 100; task_nbr++) {
        char *string = s_recv (receiver);
        free (string);
        if (task_nbr % 10 == 0)
            printf (":");
        else
            printf (".");
        fflush (stdout);
    }
    //  Calculate and report duration of batch
    printf ("Total elapsed time: %d msec\n",
        (int) (s_clock () - start_time));

    zmq_close (receiver);
    zmq_ctx_destroy (context);
    return 0;
}
