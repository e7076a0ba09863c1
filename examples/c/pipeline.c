// pipeline.c — three stages with fuel costs fixed by construction, for `wobs bench`:
// decode does W units of work, transform 2·W, encode 3·W. Built three ways (examples/build.sh):
//   pipeline.wasm            the baseline
//   pipeline_regressed.wasm  -DTRANSFORM_EXTRA=10: transform does 10 % more work, nothing else changes
//   pipeline_improved.wasm   -DENCODE_SAVED=50: encode does less work
#include <stdio.h>
#include <stdlib.h>

#ifndef TRANSFORM_EXTRA
#define TRANSFORM_EXTRA 0
#endif
#ifndef ENCODE_SAVED
#define ENCODE_SAVED 0
#endif

static volatile unsigned sink;

// Each stage runs its own copy of the loop, so its cost is its own (no shared helper).
#define XORSHIFT_LOOP(x, units)                                   \
    for (unsigned i = 0; i < (units); i++) {                      \
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;                  \
    }

__attribute__((noinline)) unsigned decode(unsigned x, unsigned w) {
    XORSHIFT_LOOP(x, w);
    return x;
}

__attribute__((noinline)) unsigned transform(unsigned x, unsigned w) {
    XORSHIFT_LOOP(x, 2 * w + 2 * w * TRANSFORM_EXTRA / 100);
    return x;
}

__attribute__((noinline)) unsigned encode(unsigned x, unsigned w) {
    XORSHIFT_LOOP(x, 3 * w - 3 * w * ENCODE_SAVED / 100);
    return x;
}

int main(int argc, char **argv) {
    unsigned w = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
    unsigned x = 1;
    for (int round = 0; round < 10; round++) {
        x = encode(transform(decode(x, w), w), w);
    }
    sink = x;
    printf("pipeline: %u\n", x);
    return 0;
}
