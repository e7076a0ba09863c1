// clock_random.c — how much work it does depends on the clock and on random bytes, read twice
// each: identical fuel from run to run proves `wobs bench` makes WASI deterministic.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned sink;

__attribute__((noinline)) unsigned spin(unsigned n) {
    unsigned x = 7;
    for (unsigned i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
    }
    return x;
}

int main(void) {
    unsigned total = 0;
    for (int i = 0; i < 2; i++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct timespec mono;
        clock_gettime(CLOCK_MONOTONIC, &mono);
        unsigned char bytes[4];
        getentropy(bytes, sizeof bytes);
        unsigned n = (unsigned)(now.tv_nsec % 100000) + (unsigned)(mono.tv_nsec % 100000) +
                     bytes[0] * 256u + bytes[1];
        total += spin(n);
    }
    sink = total;
    printf("clock_random: %u\n", total);
    return 0;
}
