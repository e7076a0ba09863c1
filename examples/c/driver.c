// driver.c — command that imports lib_work from import module "lib"
// (provided by lib.wasm via --preload lib=examples/wasm/lib.wasm).
//
// driver_work(n/2) does exactly half of lib_work(n)'s iterations with the
// same loop body, so the self-time split is
//     lib_work (in lib.wasm) : driver_work (in driver.wasm) = 2 : 1
//     (≈ 66.7 % / 33.3 %).
// main calls them in alternation, a round of each at a time (as twice.c does), so that anything
// that changes how fast the machine runs (a process on the sibling hyperthread, the clock
// frequency) changes both alike: one long call of each let a burst of load on a CI machine move
// the split to 70 %.
//
// Usage: driver.wasm [scale]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 100            // rounds at scale 1: a few ms of work each
#define LIB_ITERS 2000000     // lib_work iterations per round

__attribute__((import_module("lib"), import_name("lib_work"))) int lib_work(int n);

__attribute__((noinline)) uint32_t driver_work(int n) {
    uint32_t x = 0x9E3779B9u;
    for (int i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // DRIVER LOOP
    }
    return x;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    uint32_t acc = 0;
    for (int round = 0; round < ROUNDS * scale; round++) {
        acc = acc * 31u + (uint32_t)lib_work(LIB_ITERS);   // LIB CALL
        acc = acc * 31u + driver_work(LIB_ITERS / 2);
    }
    printf("driver: checksum %08x\n", acc);
    return 0;
}
