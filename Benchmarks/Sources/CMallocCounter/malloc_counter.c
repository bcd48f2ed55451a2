/*
 * Counts heap allocations by defining malloc & co. in the executable, which the dynamic
 * linker then uses for every library in the process (libzmq and the Swift runtime included).
 * Each wrapper counts and forwards to glibc's internal entry points.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#include "malloc_counter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static _Atomic uint64_t allocations;

uint64_t malloc_counter_allocations(void)
{
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

static inline void count_one(void)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void *malloc(size_t size)
{
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    count_one();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    count_one();
    return __libc_realloc(pointer, size);
}

void free(void *pointer)
{
    __libc_free(pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
    count_one();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL)
        return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count_one();
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
    count_one();
    return __libc_memalign(alignment, size);
}

/* Written through a volatile pointer so that the malloc/free pair below is not optimised away. */
static void *volatile injected;

void malloc_counter_inject_allocation(void)
{
    injected = malloc(16);
    free(injected);
    injected = NULL;
}
