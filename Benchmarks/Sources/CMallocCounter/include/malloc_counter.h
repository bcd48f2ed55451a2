#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/* The number of malloc, calloc, realloc and aligned allocations made by the whole process
   since it started. The counting wrappers live in malloc_counter.c and replace the C
   library's allocator entry points for the executable that links this target. */
uint64_t malloc_counter_allocations(void);

/* Makes one heap allocation (and frees it) that no compiler can elide: the allocations tool's
   --inject-allocation calls it once per message to prove its check can fail. */
void malloc_counter_inject_allocation(void);

#endif
