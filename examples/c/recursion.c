// recursion.c — deep/branching recursion with exactly known call counts.
//
// fib(n) is the naive doubly recursive Fibonacci; the number of calls made
// by fib(n) is calls(n) = 2*fib(n+1) - 1.  The program counts the calls and
// checks them against that formula.  is_even/is_odd are a mutually recursive
// pair (depth n+1 each time) that cost well under 1 % of the run.
// Almost all time (>99 %) is self time in fib.
//
// Usage: recursion.wasm [scale]   (fib is run `scale` times; default 1)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FIB_N 39
#define PARITY_N 10001

static uint64_t fib_calls;
static uint64_t parity_calls;

__attribute__((noinline)) uint32_t fib(uint32_t n) {
    fib_calls++;
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);   // FIB RECURSION
}

__attribute__((noinline)) int is_odd(uint32_t n);

__attribute__((noinline)) int is_even(uint32_t n) {
    parity_calls++;
    return n == 0 ? 1 : is_odd(n - 1);
}

__attribute__((noinline)) int is_odd(uint32_t n) {
    parity_calls++;
    return n == 0 ? 0 : is_even(n - 1);
}

// Non-recursive reference, used only to check the call-count formula.
static uint64_t fib_iter(uint32_t n) {
    uint64_t a = 0, b = 1;
    for (uint32_t i = 0; i < n; i++) { uint64_t t = a + b; a = b; b = t; }
    return a;
}

int main(int argc, char **argv) {
    unsigned scale = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1;
    uint32_t r = 0;
    for (unsigned s = 0; s < scale; s++)
        r = fib(FIB_N);
    int even = is_even(PARITY_N);
    uint64_t expect = (2 * fib_iter(FIB_N + 1) - 1) * scale;
    printf("fib(%d) = %u\n", FIB_N, r);
    printf("fib calls = %llu (expected %llu)\n",
           (unsigned long long)fib_calls, (unsigned long long)expect);
    printf("is_even(%d) = %d, parity calls = %llu\n", PARITY_N, even,
           (unsigned long long)parity_calls);
    return fib_calls == expect ? 0 : 1;
}
