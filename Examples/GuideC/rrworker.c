//  Hello World worker
//  Connects REP socket to tcp://localhost:5560
//  Expects "Hello" from client, replies with "World"
//
//  rrworker.c from chapter 2 of the ZeroMQ Guide (the request-reply broker), kept as it is
//  so that the tests can mix it with the Swift demos
//  (Tests/ExamplesTests/DemoInteropTests.swift). The helpers it used from zhelpers.h are
//  inlined, and since the tests give every run fresh ports, the endpoint may be given as
//  an argument:
//
//      cc -O2 rrworker.c -lzmq -o rrworker
//      ./rrworker [BROKER_CONNECT]                 # default tcp://localhost:5560

#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main (int argc, char *argv [])
{
    const char *broker_endpoint = argc > 1 ? argv [1] : "tcp://localhost:5560";

    void *context = zmq_ctx_new ();

    //  Socket to talk to clients
    void *responder = zmq_socket (context, ZMQ_REP);
    zmq_connect (responder, broker_endpoint);

    while (1) {
        //  Wait for next request from client
        char *string = s_recv (responder);
        printf ("Received request: [%s]\n", string);
        free (string);

        //  Do some 'work'
        sleep (1);

        //  Send reply back to client
        s_send (responder, "World");
    }
    //  We never get here, but clean up anyhow
    zmq_close (responder);
    zmq_ctx_destroy (context);
    return 0;
}
