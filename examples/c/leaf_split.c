// leaf_split.c — a loop in main runs 300 straight-line steps, then calls a loop-free leaf of 100
// steps: the true self split is main 3 : leaf 1 (check: `wobs bench` gives the fuel split).
// A sampler that only sees the leaf at epoch checks (function entries, loop headers) inverts it.
#include <stdio.h>
#include <stdlib.h>

#define STEP(x) x ^= x << 13; x ^= x >> 17; x ^= x << 5;
#define STEP10(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x) STEP(x)
#define STEP100(x) STEP10(x) STEP10(x) STEP10(x) STEP10(x) STEP10(x) \
                   STEP10(x) STEP10(x) STEP10(x) STEP10(x) STEP10(x)

__attribute__((noinline)) unsigned leaf(unsigned x) {
    STEP100(x)
    return x;
}

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 400000;
    unsigned x = 0x9E3779B9u;
    for (unsigned i = 0; i < rounds; i++) {
        STEP100(x)
        STEP100(x)
        STEP100(x)
        x = leaf(x);
    }
    printf("leaf_split: %08x\n", x);
    return 0;
}
