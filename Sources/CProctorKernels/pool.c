// A fixed set of worker threads for the matrix products of a forward pass (see WorkerPool.swift).
//
// Waiting never spins against the work it waits for: a worker spins a bounded number of times
// (a few microseconds: back-to-back products of one token reach it there), then sleeps on a
// condition variable; the caller does the same for the last worker. On a machine whose cores are
// busy with other processes a sleeping thread gives its core away, where a spinning one would burn
// its time slice waiting for a thread that is not even running.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "proctor_kernels.h"

struct proctor_pool {
    int threads;
    int spin;
    pthread_t *tids;
    atomic_uint generation;   // bumped once per job: (count << 8) | parts, so a worker that sees a
                              // job late still knows whether it took part in *that* job
    atomic_int pending;       // participating workers that have not finished the job
    atomic_int stopping;
    atomic_int caller_sleeping;
    proctor_pool_fn fn;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t work;      // workers sleep here between jobs
    pthread_cond_t done;      // the caller sleeps here for the last worker
    int sleepers;             // workers asleep on `work` (under `lock`)
};

struct worker_arg { struct proctor_pool *pool; int index; };

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker(void *p) {
    struct worker_arg a = *(struct worker_arg *)p;
    free(p);
    struct proctor_pool *pool = a.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        for (int s = 0; g == seen && s < pool->spin; s++) {
            relax();
            g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&pool->lock);
            while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
                   !atomic_load_explicit(&pool->stopping, memory_order_relaxed)) {
                pool->sleepers++;
                pthread_cond_wait(&pool->work, &pool->lock);
                pool->sleepers--;
            }
            pthread_mutex_unlock(&pool->lock);
        }
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire)) return 0;
        seen = g;
        if (a.index >= (int)(g & 0xFF)) continue;   // not needed for this job
        pool->fn(pool->ctx, a.index);
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_seq_cst) == 1 &&
            atomic_load_explicit(&pool->caller_sleeping, memory_order_seq_cst)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

proctor_pool *proctor_pool_create(int threads, int spin) {
    struct proctor_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return 0;
    pool->threads = threads < 1 ? 1 : threads > 255 ? 255 : threads;
    pool->spin = spin < 0 ? 0 : spin;
    pthread_mutex_init(&pool->lock, 0);
    pthread_cond_init(&pool->work, 0);
    pthread_cond_init(&pool->done, 0);
    pool->tids = calloc((size_t)pool->threads, sizeof(pthread_t));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    for (int i = 1; i < pool->threads; i++) {
        struct worker_arg *a = malloc(sizeof *a);
        a->pool = pool;
        a->index = i;
        pthread_create(&pool->tids[i], &attr, worker, a);
    }
    pthread_attr_destroy(&attr);
    return pool;
}

int proctor_pool_threads(const proctor_pool *pool) { return pool->threads; }

void proctor_pool_run(proctor_pool *pool, int parts, proctor_pool_fn fn, void *ctx) {
    if (parts > pool->threads) parts = pool->threads;
    if (parts <= 1) { fn(ctx, 0); return; }
    if (parts > 255) parts = 255;
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store_explicit(&pool->pending, parts - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->lock);
    unsigned g = atomic_load_explicit(&pool->generation, memory_order_relaxed);
    atomic_store_explicit(&pool->generation, (((g >> 8) + 1) << 8) | (unsigned)parts, memory_order_release);
    if (pool->sleepers > 0) pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    fn(ctx, 0);
    for (int s = 0; s < pool->spin; s++) {
        if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
        relax();
    }
    if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
    pthread_mutex_lock(&pool->lock);
    atomic_store_explicit(&pool->caller_sleeping, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&pool->pending, memory_order_seq_cst) > 0) pthread_cond_wait(&pool->done, &pool->lock);
    atomic_store_explicit(&pool->caller_sleeping, 0, memory_order_relaxed);
    pthread_mutex_unlock(&pool->lock);
}

void proctor_pool_destroy(proctor_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    atomic_store_explicit(&pool->stopping, 1, memory_order_release);
    unsigned g = atomic_load_explicit(&pool->generation, memory_order_relaxed);
    atomic_store_explicit(&pool->generation, ((g >> 8) + 1) << 8, memory_order_release);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->tids[i], 0);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    free(pool->tids);
    free(pool);
}
