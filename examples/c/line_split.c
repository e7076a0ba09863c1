// line_split.c — two statements in one loop body with a known 1:2 cost split, for line-level
// sampling accuracy (`--lines`).
//
// Both lines advance ONE variable through the same step (x = x * K + 1), LINE ONE twice and
// LINE TWO four times, so every step waits for the one before it: the steps cannot overlap or
// be reordered, each costs the same, and the time split is
//     LINE ONE : LINE TWO  =  2 : 4  =  1 : 2   (of the loop body)
// The loop counter is independent of x and overlaps with it, so the `for` line takes few samples.
// Built with -O0 so that each statement keeps its own instructions (at -O1 clang interleaves
// them and merges the multiplications).
//
// Usage: line_split.wasm [scale]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS 12000000ull  // at scale 1: about 0.5 s

#define K 0x9E3779B1u

__attribute__((noinline)) uint32_t split(uint64_t n) {
    uint32_t x = 1;
    for (uint64_t i = 0; i < n; i++) {
        x = x * K + 1; x = x * K + 1;                                   // LINE ONE
        x = x * K + 1; x = x * K + 1; x = x * K + 1; x = x * K + 1;     // LINE TWO
    }
    return x;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    printf("line_split: checksum %08x\n", split(ITERS * scale));
    return 0;
}
