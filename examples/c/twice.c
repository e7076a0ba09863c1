// twice.c — two functions with a known 1:2 split of SELF time.
//
// work_one(n) and work_two(n) are identical except that work_two runs its
// loop 2*n times.  Each contains its own loop (no shared kernel), so all of
// the self time lands in them:  work_one ≈ 33.3 %, work_two ≈ 66.7 %.
// main itself does almost nothing (two calls + a printf).
//
// Usage: twice.wasm [scale]      (scale defaults to 1; work is linear in it)
// Build: clang --target=wasm32-wasi -g -O1   (see ../build.sh)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BASE_ITERS 100000000ull   // iterations of work_one at scale 1

__attribute__((noinline)) uint32_t work_one(uint64_t n) {
    uint32_t x = 0x9E3779B9u;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // HOT LOOP work_one
    }
    return x;
}

__attribute__((noinline)) uint32_t work_two(uint64_t n) {
    uint32_t x = 0x9E3779B9u;
    for (uint64_t i = 0; i < 2 * n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // HOT LOOP work_two
    }
    return x;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint64_t n = BASE_ITERS * scale;
    uint32_t a = work_one(n);
    uint32_t b = work_two(n);
    printf("twice: checksum %08x\n", a ^ b);
    return 0;
}
