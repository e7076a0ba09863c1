// chain.c — main → outer → middle → tiny, with tiny a few instructions called in a tight loop:
// most samples land in or around tiny's prologue and epilogue, where its frame is half built.
// Every sample must still carry the whole chain.
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned sink;

__attribute__((noinline)) unsigned tiny(unsigned x) { return x * 2654435761u + 1; }

__attribute__((noinline)) unsigned middle(unsigned x, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        x = tiny(x);
    }
    return x;
}

__attribute__((noinline)) unsigned outer(unsigned x, unsigned n) {
    for (unsigned i = 0; i < 100; i++) {
        x = middle(x, n);
    }
    return x;
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
    sink = outer(1, n);
    printf("chain: %u\n", sink);
    return 0;
}
