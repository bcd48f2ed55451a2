#ifndef C_BASELINE_H
#define C_BASELINE_H

/* The same loops as the Swift allocation scenarios, written against libzmq's C API, so the
   allocations libzmq itself makes can be told apart from the Swift layer's. Each returns the
   number of allocations made during `count` iterations after a warm-up, or -1 on error. */
long c_baseline_message_pair(int size, int count);
long c_baseline_echo(int size, int count);
long c_baseline_buffer_pair(int size, int count);

#endif
