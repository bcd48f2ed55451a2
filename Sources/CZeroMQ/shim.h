#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H

#include <zmq.h>

/* libzmq's own error numbers are macros built from ZMQ_HAUSNUMERO; these
   inline functions hand them to Swift without relying on macro import. */
static inline int czmq_efsm(void) { return EFSM; }
static inline int czmq_enocompatproto(void) { return ENOCOMPATPROTO; }
static inline int czmq_eterm(void) { return ETERM; }
static inline int czmq_emthread(void) { return EMTHREAD; }

#ifdef __linux__
/* The async sockets' event thread waits on epoll and is woken through an eventfd; Swift's
   Glibc module exports neither header. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

#endif
