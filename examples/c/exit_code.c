// exit_code.c — prints one line and exits with status 3 via exit(3)
// (wasi proc_exit(3)); no trap.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    printf("exit_code: exiting with status 3\n");
    exit(3);
}
