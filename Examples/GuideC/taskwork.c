//  Task worker
//  Connects PULL socket to tcp://localhost:5557
//  Collects workloads from ventilator via that socket
//  Connects PUSH socket to tcp://localhost:5558
//  Sends results to sink via that socket
//
//  taskwork.c from chapter 1 of the ZeroMQ Guide, kept as it is so that the tests can mix
//  it with the Swift demos (Tests/ExamplesTests/GuideInteropTests.swift). The helpers it
//  used from zhelpers.h are inlined, and the endpoints may be given as arguments:
//
//      cc -O2 taskwork.c -lzmq -o taskwork
//      ./taskwork [VENTILATOR_CONNECT [SINK_CONNECT]]  # default tcp://localhost:5557 tcp://localhost:5558

#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

//  Convert C string to 0MQ string and send to socket   (zhelpers.h)
static int
s_send (void *socket, char *string) {
    int size = zmq_send (socket, string, strlen (string), 0);
    return size;
}

//  Sleep for a number of milliseconds   (zhelpers.h)
static void
s_sleep (int msecs)
{
    struct timespec t;
    t.tv_sec  =  msecs / 1000;
    t.tv_nsec = (msecs % 1000) * 1000000;
    nanosleep (&t, NULL);
}

int main (int argc, char *argv [])
{
    const char *ventilator_endpoint = argc > 1 ? argv [1] : "tcp://localhost:5557";
    const char *sink_endpoint = argc > 2 ? argv [2] : "tcp://localhost:5558";

    //  Socket to receive messages on
    void *context = zmq_ctx_new ();
    void *receiver = zmq_socket (context, ZMQ_PULL);
    zmq_connect (receiver, ventilator_endpoint);

    //  Socket to send messages to
    void *sender = zmq_socket (context, ZMQ_PUSH);
    zmq_connect (sender, sink_endpoint);

    //  Process tasks forever
    while (1) {
        char *string = s_recv (receiver);
        printf ("%s.", string);     //  Show progress
        fflush (stdout);
        s_sleep (atoi (string));    //  Do the work
        free (string);
        s_send (sender, "");        //  Send results to sink
    }
    zmq_close (receiver);
    zmq_close (sender);
    zmq_ctx_destroy (context);
    return 0;
}
