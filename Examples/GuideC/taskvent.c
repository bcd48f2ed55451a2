//  Task ventilator
//  Binds PUSH socket to tcp://localhost:5557
//  Sends batch of tasks to workers via that socket
//
//  taskvent.c from chapter 1 of the ZeroMQ Guide, kept as it is so that the tests can mix
//  it with the Swift demos (Tests/ExamplesTests/GuideInteropTests.swift). The helpers it
//  used from zhelpers.h are inlined, and the endpoints may be given as arguments:
//
//      cc -O2 taskvent.c -lzmq -o taskvent
//      ./taskvent [WORKERS_BIND [SINK_CONNECT]]    # default tcp://*:5557 tcp://localhost:5558

#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Provide random number from 0..(num-1)   (zhelpers.h)
#define randof(num)  (int) ((float) (num) * random () / (RAND_MAX + 1.0))

//  Convert C string to 0MQ string and send to socket   (zhelpers.h)
static int
s_send (void *socket, char *string) {
    int size = zmq_send (socket, string, strlen (string), 0);
    return size;
}

int main (int argc, char *argv [])
{
    const char *workers_endpoint = argc > 1 ? argv [1] : "tcp://*:5557";
    const char *sink_endpoint = argc > 2 ? argv [2] : "tcp://localhost:5558";

    void *context = zmq_ctx_new ();

    //  Socket to send messages on
    void *sender = zmq_socket (context, ZMQ_PUSH);
    zmq_bind (sender, workers_endpoint);

    //  Socket to send start of batch message on
    void *sink = zmq_socket (context, ZMQ_PUSH);
    zmq_connect (sink, sink_endpoint);

    printf ("Press Enter when the workers are ready: ");
    getchar ();
    printf ("Sending tasks to workers...\n");

    //  The first message is "0" and signals start of batch
    s_send (sink, "0");

    //  Initialize random number generator
    srandom ((unsigned) time (NULL));

    //  Send 100 tasks
    int task_nbr;
    int total_msec = 0;     //  Total expected cost in msecs
    for (task_nbr = 0; task_nbr < 100; task_nbr++) {
        int workload;
        //  Random workload from 1 to 100msecs
        workload = randof (100) + 1;
        total_msec += workload;
        char string [10];
        sprintf (string, "%d", workload);
        s_send (sender, string);
    }
    printf ("Total expected cost: %d msec\n", total_msec);

    zmq_close (sink);
    zmq_close (sender);
    zmq_ctx_destroy (context);
    return 0;
}
