// server.c — a long-running guest that handles N "requests" (argv[1], default 40), one after
// another: each parses a fixed payload (CPU) and then waits 50 ms in the host (a WASI sleep), like
// a server waiting for its next request. Its spans must reach a collector while it still runs.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

__attribute__((noinline)) unsigned parse(unsigned seed) {
    unsigned x = seed | 1;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    }
    return x;
}

__attribute__((noinline)) void handle_request(unsigned id) {
    sink = parse(id);
    struct timespec wait = {0, 50 * 1000 * 1000};
    nanosleep(&wait, NULL);
}

int main(int argc, char **argv) {
    int requests = argc > 1 ? atoi(argv[1]) : 40;
    for (int i = 0; i < requests; i++) {
        handle_request((unsigned)i);
    }
    printf("handled %d requests\n", requests);
    return 0;
}
