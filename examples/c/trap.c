// trap.c — ends in a wasm trap: integer divide by zero (i32.div_s, b == 0).
//
// Call stack at the trap: _start → __original_main → main → compute → divide.
// The divisor comes from a volatile global that is 0, so clang cannot fold
// the division and emits a real i32.div_s; the trap is the wasm
// "integer divide by zero" trap (wasmtime: Trap::IntegerDivisionByZero),
// NOT `unreachable`.  Before trapping, warm_up() burns ~0.1 s so a sampler
// gets samples first.  Prints one line to stdout before the trap.
#include <stdint.h>
#include <stdio.h>

static volatile int divisor = 0;
static volatile uint32_t sink;

__attribute__((noinline)) void warm_up(uint32_t n) {
    uint32_t x = 0x9E3779B9u;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // WARM UP LOOP
    }
    sink = x;
}

__attribute__((noinline)) int divide(int a, int b) {
    return a / b;   // TRAP LINE
}

__attribute__((noinline)) int compute(int x) {
    int d = divisor;
    return divide(x, d) + 1;
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    warm_up(60000000u);
    printf("trap: about to divide by zero\n");
    fflush(stdout);
    int r = compute(42);
    printf("not reached: %d\n", r);
    return 0;
}
