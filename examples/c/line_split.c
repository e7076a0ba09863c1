// line_split.c — two statements in one loop body with a known 1:2 cost split, for line-level
// sampling accuracy (`--lines`).
//
// Both lines advance ONE variable through the same step (x = x * K + 1): LINE ONE 20 times,
// the other 40 times, so every step waits for the one before it: the steps cannot overlap or
// be reordered, each costs the same, and the time split is
//     LINE ONE : LINE TWO  =  20 : 40  =  1 : 2   (of the loop body)
// The loop counter is independent of x and overlaps with it, so the `for` line takes few samples.
// Each line is many steps long so that what happens where one line meets the next (the loop's
// back edge stalls the first load of LINE ONE on some CPUs: with 2 and 4 steps a line, LINE ONE
// measured 42 % on one Xeon, 30-32 % on another) is a small part of either line.
// Built with -O0 so that each statement keeps its own instructions (at -O1 clang interleaves
// them and merges the multiplications).
//
// Usage: line_split.wasm [scale]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS 1200000ull  // at scale 1: about 0.1 s

#define K 0x9E3779B1u
#define STEP x = x * K + 1;
#define STEP10 STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP

__attribute__((noinline)) uint32_t split(uint64_t n) {
    uint32_t x = 1;
    for (uint64_t i = 0; i < n; i++) {
        STEP10 STEP10                  // LINE ONE
        STEP10 STEP10 STEP10 STEP10    // LINE TWO
    }
    return x;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    printf("line_split: checksum %08x\n", split(ITERS * scale));
    return 0;
}
