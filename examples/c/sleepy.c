// sleepy.c — alternates CPU work with sleeping in the host (WASI poll_oneoff), and measures both
// with its own clock: the printed shares are the truth a wall-clock profile must show.
#include <stdio.h>
#include <stdlib.h>
#include "timed_work.h"

static volatile unsigned sink;

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 20000000;
    double busy_ms = 0, sleep_ms = 0;
    for (int round = 0; round < 10; round++) {
        double t0 = now_ms();
        sink = busy(n);
        double t1 = now_ms();
        struct timespec wait = {0, 15 * 1000 * 1000};
        nanosleep(&wait, NULL);
        double t2 = now_ms();
        busy_ms += t1 - t0;
        sleep_ms += t2 - t1;
    }
    printf("busy %.1f ms, sleep %.1f ms, sleep share %.1f%%\n", busy_ms, sleep_ms,
           100.0 * sleep_ms / (busy_ms + sleep_ms));
    return 0;
}
