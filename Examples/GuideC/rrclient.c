//
//  Hello World client
//  Connects REQ socket to tcp://localhost:5559
//  Sends "Hello" to server, expects "World" back
//
//  rrclient.c from chapter 2 of the ZeroMQ Guide (the request-reply broker), kept as it is
//  so that the tests can mix it with the Swift demos
//  (Tests/ExamplesTests/DemoInteropTests.swift). The helpers it used from zhelpers.h are
//  inlined, and since the tests give every run fresh ports, the endpoint may be given as
//  an argument:
//
//      cc -O2 rrclient.c -lzmq -o rrclient
//      ./rrclient [BROKER_CONNECT]                 # default tcp://localhost:5559

#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *broker_endpoint = argc > 1 ? argv [1] : "tcp://localhost:5559";

    void *context = zmq_ctx_new ();

    //  Socket to talk to server
    void *requester = zmq_socket (context, ZMQ_REQ);
    zmq_connect (requester, broker_endpoint);

    int request_nbr;
    for (request_nbr = 0; request_nbr != 10; request_nbr++) {
        s_send (requester, "Hello");
        char *string = s_recv (requester);
        printf ("Received reply %d [%s]\n", request_nbr, string);
        free (string);
    }
    zmq_close (requester);
    zmq_ctx_destroy (context);
    return 0;
}
