#define _GNU_SOURCE
#include <pthread.h>
#include "proctor_system.h"

static int stack_bounds(void **addr, size_t *size) {
#if defined(__linux__)
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return -1;
    int r = pthread_attr_getstack(&attr, addr, size);
    pthread_attr_destroy(&attr);
    return r;
#else
    (void)addr; (void)size;
    return -1;
#endif
}

// Cached per thread: pthread_getattr_np reads /proc/self/maps for the main thread, far too slow to
// repeat for every parser.
static __thread int cached = 0;
static __thread unsigned long cached_low = 0, cached_size = 0;

static void fill(void) {
    if (cached) return;
    void *a = 0; size_t s = 0;
    if (stack_bounds(&a, &s) == 0) { cached_low = (unsigned long)a; cached_size = (unsigned long)s; }
    cached = 1;
}

unsigned long proctor_stack_low(void) { fill(); return cached_low; }

unsigned long proctor_stack_size(void) { fill(); return cached_size; }

__attribute__((noinline))
unsigned long proctor_stack_position(void) {
    return (unsigned long)__builtin_frame_address(0);
}
