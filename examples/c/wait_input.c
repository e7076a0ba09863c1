// wait_input.c — blocks in one host call (reading stdin) until input arrives, then counts the
// bytes: a guest that no epoch check can stop while it waits, for timeout and Ctrl-C tests.
#include <stdio.h>

int main(void) {
    unsigned long bytes = 0;
    while (getchar() != EOF) bytes++;
    printf("wait_input: %lu bytes\n", bytes);
    return 0;
}
