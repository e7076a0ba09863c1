// lib.c — reactor library for the preload pair (see driver.c).
// Built with -mexec-model=reactor; exports lib_work (and _initialize, memory).
// Load it with:  wobs run --preload lib=examples/wasm/lib.wasm examples/wasm/driver.wasm
//
// lib_work(n) runs n xorshift32 rounds from a fixed seed; returns the state.
#include <stdint.h>

__attribute__((export_name("lib_work"), noinline)) int lib_work(int n) {
    uint32_t x = 0x9E3779B9u;
    for (int i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;   // LIB LOOP
    }
    return (int)x;
}
