// lines.c — line-level attribution inside single functions.
//
// (a) two_loops(n): two SEPARATE loops.  Loop A runs n iterations, loop B
//     exactly 2n, with the same body.  Each whole loop (header and body) is
//     written on ONE line, so every instruction of the loop, including the
//     loop header where an epoch/fuel check sits, maps to that line:
//         LINE A : LINE B  =  1 : 2   (of two_loops' self time)
// (b) one_loop(n): a single loop whose body has two statements on separate
//     lines.  LINE C does one xorshift round, LINE D two rounds of the same
//     shape (D's input depends on C's output), so instruction counts are
//         LINE C : LINE D  =  1 : 2
//     A sampler that only observes loop headers cannot see this split: all
//     its samples for the loop land on the `for` line (LINE CD HEADER).
// main calls two_loops in rounds of a few ms, then one_loop; they take roughly equal time. The
// rounds alternate loops A and B, so that a change in how fast the machine runs (another process
// on the sibling hyperthread, the clock frequency) changes both alike.
//
// Usage: lines.wasm [scale]     Built with -O0 so no line-0 rows (see README).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define A_ROUNDS 100           // rounds of two_loops at scale 1
#define A_ROUND_ITERS 200000ull   // loop A per round (loop B does 2x)
#define CD_ITERS 20000000ull   // one_loop iterations at scale 1

__attribute__((noinline)) uint32_t two_loops(uint32_t x, uint32_t y, uint64_t n) {
    uint64_t m = 2 * n;   // so both loop headers have the same shape
    for (uint64_t i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; }       // LINE A
    for (uint64_t i = 0; i < m; i++) { y ^= y << 13; y ^= y >> 17; y ^= y << 5; }       // LINE B
    return x ^ y;
}

__attribute__((noinline)) uint32_t one_loop(uint64_t n) {
    uint32_t a = 0x9E3779B9u, b = 0x7F4A7C15u;
    for (uint64_t i = 0; i < n; i++) {   // LINE CD HEADER
        a ^= a << 13; a ^= a >> 17; a ^= a << 5;                                           // LINE C
        b ^= a << 13; b ^= b >> 17; b ^= b << 5; b ^= b << 13; b ^= b >> 17; b ^= b << 5;   // LINE D
    }
    return a ^ b;
}

int main(int argc, char **argv) {
    uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    uint32_t r1 = 0x9E3779B9u;
    for (uint64_t round = 0; round < A_ROUNDS * scale; round++)
        r1 = two_loops(r1, r1 ^ 0x7F4A7C15u, A_ROUND_ITERS);
    uint32_t r2 = one_loop(CD_ITERS * scale);
    printf("lines: checksum %08x %08x\n", r1, r2);
    return 0;
}
