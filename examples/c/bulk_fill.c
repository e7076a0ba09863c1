// bulk_fill.c — alternates a wasm loop with clearing a large block by `memory.fill` (built with
// -mbulk-memory: the memset is one instruction, which wasmtime carries out in its runtime, not in
// compiled code), and measures both with its own clock: the printed share is what a wall-clock
// profile must show on `[host] memory.fill`, on top of `fill_block`.
#include <stdio.h>
#include <stdlib.h>
#include "timed_work.h"

#define BLOCK (8u << 20)
static unsigned char block[BLOCK];

__attribute__((noinline)) void fill_block(unsigned char value) {
    __builtin_memset(block, value, BLOCK);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 600;
    double busy_ms = 0, fill_ms = 0;
    unsigned sum = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        sum += busy(250000);
        double t1 = now_ms();
        fill_block((unsigned char)r);
        double t2 = now_ms();
        busy_ms += t1 - t0;
        fill_ms += t2 - t1;
        sum += block[(unsigned)r * 4099u % BLOCK];
    }
    printf("busy %.1f ms, fill %.1f ms, fill share %.1f%% (sum %u)\n", busy_ms, fill_ms,
           100.0 * fill_ms / (busy_ms + fill_ms), sum);
    return 0;
}
