// fib.c — naive recursive Fibonacci with n from argv[1] (default 25), for exact call counts.
// calls(n) = 2*fib(n+1) - 1: fib(25) makes 242785 calls, fib(20) 21891.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned fib(unsigned n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 25;
    printf("fib(%u) = %u\n", n, fib(n));
    return 0;
}
