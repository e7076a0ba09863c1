// timed_work.h — what sleepy.c and bulk_fill.c share: a monotonic clock in ms (the guest's own
// measure of its time split, which the tests compare with the profile) and a busy loop.
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

__attribute__((noinline)) unsigned busy(unsigned n) {
    unsigned x = 0x9E3779B9u;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    }
    return x;
}
