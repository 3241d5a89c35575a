// A persistent helper thread for splitting work in two: the caller runs part 0, the helper part
// 1. Handing over costs well under a microsecond while the helper spins (it spins 0.2 ms after
// each job, then sleeps on a condition variable), against ~45 µs for waking a Dispatch worker —
// which made Dispatch run short parallel loops serially on this machine (cpu.md). OpenBLAS is
// kept single-threaded, so there is no second spinning pool.
#include "CKernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CK_PAUSE() _mm_pause()
#else
#define CK_PAUSE() ((void)0)
#endif

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static atomic_ulong pool_seq = 0;   // incremented per job
static atomic_ulong pool_done = 0;  // = pool_seq when the helper finished the job
static void (*pool_fn)(void *, long) = 0;
static void *pool_ctx = 0;
static int pool_started = 0;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *pool_main(void *unused) {
    (void)unused;
    unsigned long seen = 0;
    for (;;) {
        double spin_until = now_seconds() + 2e-4;
        int got = 0;
        while (!got) {
            for (int i = 0; i < 256; i++) {
                if (atomic_load_explicit(&pool_seq, memory_order_acquire) != seen) { got = 1; break; }
                CK_PAUSE();
            }
            if (!got && now_seconds() > spin_until) break;
        }
        if (!got) {
            pthread_mutex_lock(&pool_mutex);
            while (atomic_load_explicit(&pool_seq, memory_order_acquire) == seen) pthread_cond_wait(&pool_cond, &pool_mutex);
            pthread_mutex_unlock(&pool_mutex);
        }
        seen = atomic_load_explicit(&pool_seq, memory_order_acquire);
        pool_fn(pool_ctx, 1);
        atomic_store_explicit(&pool_done, seen, memory_order_release);
    }
    return 0;
}

static void pool_start(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pool_started = pthread_create(&t, &attr, pool_main, 0) == 0;
    pthread_attr_destroy(&attr);
}

static pthread_mutex_t caller_mutex = PTHREAD_MUTEX_INITIALIZER;

void ck_run2(void (*fn)(void *, long), void *ctx) {
    pthread_once(&pool_once, pool_start);
    // One job at a time; a nested or concurrent call runs both parts itself.
    if (!pool_started || pthread_mutex_trylock(&caller_mutex) != 0) {
        fn(ctx, 0);
        fn(ctx, 1);
        return;
    }
    pool_fn = fn;
    pool_ctx = ctx;
    pthread_mutex_lock(&pool_mutex);
    unsigned long seq = atomic_fetch_add_explicit(&pool_seq, 1, memory_order_acq_rel) + 1;
    pthread_cond_signal(&pool_cond);
    pthread_mutex_unlock(&pool_mutex);
    fn(ctx, 0);
    while (atomic_load_explicit(&pool_done, memory_order_acquire) != seq) CK_PAUSE();
    pthread_mutex_unlock(&caller_mutex);
}
