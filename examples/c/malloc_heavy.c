// malloc_heavy.c — allocator-heavy workload so dlmalloc shows up in profiles.
//
// A pool of SLOTS pointers is churned: each step frees one slot (if full) and
// mallocs a new block of pseudo-random size (mostly 1..1024 bytes, every 16th
// step up to 64 KiB, which forces dlmalloc's larger-chunk paths), then
// touch_block() writes a few bytes of it.  At the end everything is freed.
// Expected: malloc/free (and wasi-libc's internal dlmalloc helpers) carry a
// large share of the time; touch_block and churn are the rest.  Totals are
// exact: STEPS*scale mallocs and the same number of frees.
//
// Usage: malloc_heavy.wasm [scale]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 512
#define STEPS 4000000u   // malloc calls at scale 1

static uint32_t lcg_state = 12345u;

static uint32_t next_rand(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

// Writes a byte at every 64th offset and returns a checksum of them.
__attribute__((noinline)) uint32_t touch_block(unsigned char *p, size_t size, uint32_t tag) {
    uint32_t sum = 0;
    for (size_t off = 0; off < size; off += 64) {
        p[off] = (unsigned char)(tag + off);
        sum += p[off];
    }
    return sum;
}

__attribute__((noinline)) uint32_t churn(uint64_t steps, uint64_t *mallocs, uint64_t *frees) {
    static unsigned char *pool[SLOTS];
    uint32_t check = 0;
    for (uint64_t i = 0; i < steps; i++) {
        uint32_t r = next_rand();
        uint32_t slot = r % SLOTS;
        if (pool[slot]) { free(pool[slot]); ++*frees; }
        size_t size = (i % 16 == 15) ? 1 + (r % 65536) : 1 + (r % 1024);
        unsigned char *p = malloc(size);
        if (!p) { printf("malloc failed\n"); exit(2); }
        ++*mallocs;
        check += touch_block(p, size, (uint32_t)i);
        pool[slot] = p;
    }
    for (int s = 0; s < SLOTS; s++)
        if (pool[s]) { free(pool[s]); pool[s] = NULL; ++*frees; }
    return check;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint64_t mallocs = 0, frees = 0;
    uint32_t check = churn(STEPS * scale, &mallocs, &frees);
    printf("malloc_heavy: mallocs %llu frees %llu checksum %08x\n",
           (unsigned long long)mallocs, (unsigned long long)frees, check);
    return mallocs == frees ? 0 : 1;
}
