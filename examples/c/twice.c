// twice.c — two functions with a known 1:2 split of SELF time.
//
// work_one and work_two run the same loop body; work_two runs it twice as many times. Each has
// its own loop (no shared kernel), so all of the self time lands in them: work_one ≈ 33.3 %,
// work_two ≈ 66.7 %. main calls them in alternation, a round of each at a time, so that anything
// that changes how fast the machine runs (another process on the sibling hyperthread, the clock
// frequency) changes both alike and the split of time stays the split of work.
//
// Usage: twice.wasm [scale]      (scale defaults to 1; work is linear in it)
// Build: clang --target=wasm32-wasi -g -O1   (see ../build.sh)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 100                // rounds at scale 1: a few ms of work each
#define ROUND_ITERS 1000000ull    // iterations of work_one per round

__attribute__((noinline)) uint32_t work_one(uint32_t x, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // HOT LOOP work_one
    }
    return x;
}

__attribute__((noinline)) uint32_t work_two(uint32_t x, uint64_t n) {
    for (uint64_t i = 0; i < 2 * n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // HOT LOOP work_two
    }
    return x;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint32_t a = 0x9E3779B9u, b = 0x9E3779B9u;
    for (uint64_t round = 0; round < ROUNDS * scale; round++) {
        a = work_one(a, ROUND_ITERS);
        b = work_two(b, ROUND_ITERS);
    }
    printf("twice: checksum %08x\n", a ^ b);
    return 0;
}
