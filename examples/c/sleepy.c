// sleepy.c — alternates CPU work with sleeping in the host (WASI poll_oneoff), and measures both
// with its own clock: the printed shares are the truth a wall-clock profile must show.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

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

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 20000000;
    double busy_ms = 0, sleep_ms = 0;
    for (int round = 0; round < 10; round++) {
        double t0 = now_ms();
        sink = busy(n);
        double t1 = now_ms();
        struct timespec wait = {0, 15 * 1000 * 1000};
        nanosleep(&wait, NULL);
        double t2 = now_ms();
        busy_ms += t1 - t0;
        sleep_ms += t2 - t1;
    }
    printf("busy %.1f ms, sleep %.1f ms, sleep share %.1f%%\n", busy_ms, sleep_ms,
           100.0 * sleep_ms / (busy_ms + sleep_ms));
    return 0;
}
