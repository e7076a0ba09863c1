// reactor.c — a WASI reactor (no main; built with -mexec-model=reactor) for
// `wobs --invoke compute N`.  Exports: _initialize, memory, compute.
//
// compute(n) runs n xorshift32 rounds from a fixed seed and returns the
// final state as a signed int; kernel() is where the time goes.
// Expected return values: see ../README.md (e.g. compute(1000)).
#include <stdint.h>

__attribute__((noinline)) uint32_t kernel(uint32_t x, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // REACTOR LOOP
    }
    return x;
}

__attribute__((export_name("compute"))) int compute(int n) {
    if (n < 0)
        return -1;
    return (int)kernel(0x9E3779B9u, (uint32_t)n);
}
