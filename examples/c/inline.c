// inline.c — a hot path that goes through INLINED frames (built with -O2).
//
// rotl() and mix() are always_inline; mix() is inlined into outer_loop() and
// rotl() into (the inlined) mix(), so outer_loop's DWARF holds a
// DW_TAG_inlined_subroutine for mix (DW_AT_call_line = the OUTER CALLS MIX
// line) with a nested one for rotl.  There is no out-of-line copy of mix or
// rotl.  Each round mix() calls the noinline leaf() — a function entry that
// a sampler sees — so the expected symbolized stack for nearly every sample is
//     main → outer_loop (line OUTER CALLS MIX) → mix [inlined] (line MIX CALLS LEAF) → leaf
// Self time: mostly leaf; the rest is outer_loop's code, part of which is
// the inlined mix/rotl (the loop of mix runs 16 rounds per outer iteration;
// its trip count comes from a volatile so it stays a loop).
//
// Usage: inline.wasm [scale]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define OUTER_ITERS 6000000u   // outer iterations at scale 1 (x16 leaf calls)

static volatile uint32_t rounds_v = 16;

// One xorshift32 round: the real work, a separate function.
__attribute__((noinline)) uint32_t leaf(uint32_t x) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // LEAF BODY
    return x;
}

static inline __attribute__((always_inline)) uint32_t rotl(uint32_t x, int k) {
    return (x << k) | (x >> (32 - k));   // ROTL BODY
}

static inline __attribute__((always_inline)) uint32_t mix(uint32_t x, uint32_t rounds) {
    for (uint32_t r = 0; r < rounds; r++) {   // MIX LOOP
        x = leaf(x);                          // MIX CALLS LEAF
        x += rotl(x, 7);                      // MIX CALLS ROTL
    }
    return x;
}

__attribute__((noinline)) uint32_t outer_loop(uint64_t n, uint32_t rounds) {
    uint32_t acc = 0x243F6A88u;
    for (uint64_t i = 0; i < n; i++) {
        acc = mix(acc ^ (uint32_t)i, rounds);   // OUTER CALLS MIX
    }
    return acc;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint32_t r = outer_loop(OUTER_ITERS * scale, rounds_v);
    printf("inline: checksum %08x\n", r);
    return 0;
}
