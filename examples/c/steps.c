// steps.c — `step` into direct calls, a recursive call and a call through a function pointer, and
// out of each, for the gdb parity test (examples/gdb/steps.gdb). Built at -O0 so every call stays
// a call. wobs runs a `step` to temporary breakpoints (the function's line starts, its return
// address, where its direct callees begin) and single-steps only out of a function with an
// indirect call (apply): both ways must stop where gdb stops.
#include <stdio.h>

static int square(int x) {
    int y = x * x;
    return y;
}

static int sum_squares(int n) {
    int total = 0;
    for (int i = 1; i <= n; i++) {
        total += square(i);
    }
    return total;
}

static int depth(int n) {
    if (n == 0) {
        return 0;
    }
    return 1 + depth(n - 1);
}

static int twice(int x) {
    return 2 * x;
}

static int apply(int (*f)(int), int x) {
    int r = f(x);
    return r + 1;
}

int main(void) {
    int a = sum_squares(2);
    int b = depth(2);
    int c = apply(twice, 5);
    int d = square(a + b + c);
    printf("steps: %d %d %d %d\n", a, b, c, d);
    return 0;
}
