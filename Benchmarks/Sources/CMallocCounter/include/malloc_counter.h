#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/* The number of malloc, calloc, realloc and aligned allocations made by the whole process
   since it started. The counting wrappers live in malloc_counter.c and replace the C
   library's allocator entry points for the executable that links this target. */
uint64_t malloc_counter_allocations(void);

#endif
