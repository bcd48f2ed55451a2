//
//  Simple request-reply broker
//
//  rrbroker.c from chapter 2 of the ZeroMQ Guide, kept as it is so that the tests can mix
//  it with the Swift demos (Tests/ExamplesTests/DemoInteropTests.swift). It includes
//  <zmq.h> and <stdint.h> where the Guide includes zhelpers.h (it uses none of its
//  helpers), and since the tests give every run fresh ports, the endpoints may be given as
//  arguments:
//
//      cc -O2 rrbroker.c -lzmq -o rrbroker
//      ./rrbroker [FRONTEND_BIND [BACKEND_BIND]]   # default tcp://*:5559 tcp://*:5560

#include <zmq.h>
#include <stdint.h>

int main (int argc, char *argv [])
{
    const char *frontend_endpoint = argc > 1 ? argv [1] : "tcp://*:5559";
    const char *backend_endpoint = argc > 2 ? argv [2] : "tcp://*:5560";

    //  Prepare our context and sockets
    void *context = zmq_ctx_new ();
    void *frontend = zmq_socket (context, ZMQ_ROUTER);
    void *backend  = zmq_socket (context, ZMQ_DEALER);
    zmq_bind (frontend, frontend_endpoint);
    zmq_bind (backend,  backend_endpoint);

    //  Initialize poll set
    zmq_pollitem_t items [] = {
        { frontend, 0, ZMQ_POLLIN, 0 },
        { backend,  0, ZMQ_POLLIN, 0 }
    };
    //  Switch messages between sockets
    while (1) {
        zmq_msg_t message;
        int64_t more;           //  Multipart detection

        zmq_poll (items, 2, -1);
        if (items [0].revents & ZMQ_POLLIN) {
            while (1) {
                //  Process all parts of the message
                zmq_msg_init (&message);
                zmq_msg_recv (&message, frontend, 0);
                size_t more_size = sizeof (more);
                zmq_getsockopt (frontend, ZMQ_RCVMORE, &more, &more_size);
                zmq_msg_send (&message, backend, more? ZMQ_SNDMORE: 0);
                zmq_msg_close (&message);
                if (!more)
                    break;      //  Last message part
            }
        }
        if (items [1].revents & ZMQ_POLLIN) {
            while (1) {
                //  Process all parts of the message
                zmq_msg_init (&message);
                zmq_msg_recv (&message, backend, 0);
                size_t more_size = sizeof (more);
                zmq_getsockopt (backend, ZMQ_RCVMORE, &more, &more_size);
                zmq_msg_send (&message, frontend, more? ZMQ_SNDMORE: 0);
                zmq_msg_close (&message);
                if (!more)
                    break;      //  Last message part
            }
        }
    }
    //  We never get here but clean up anyhow
    zmq_close (frontend);
    zmq_close (backend);
    zmq_ctx_destroy (context);
    return 0;
}
