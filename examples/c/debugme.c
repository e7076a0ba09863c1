/* debugme.c — a guest for the debugger's variable printing (built at -O0 so
 * every variable lives in the stack frame and DWARF has a location for it).
 *
 * Lines marked `// stop: NAME` are where tests in crates/symbolize stop: every
 * variable of the enclosing scope is initialised there.
 *
 * Build: clang --target=wasm32-wasi -g -O0 (see ../build.sh)
 */
#include <stdio.h>

enum Color { RED, GREEN, BLUE };

struct Point {
    int x;
    int y;
};

struct Rect {
    struct Point origin;
    int width;
    int height;
    enum Color color;
};

struct Node {
    int value;
    struct Node *next;
};

union Number {
    int i;
    float f;
};

typedef unsigned int uint;

int counter = 7;
const char *banner = "debugme";

int area(struct Rect *r) {
    int w = r->width;
    int h = r->height;
    int result = w * h;
    return result; // stop: area
}

int sum_list(struct Node *head) {
    int total = 0;
    for (struct Node *n = head; n != NULL; n = n->next) {
        total += n->value; // stop: sum_list
    }
    return total;
}

static inline __attribute__((always_inline)) int twice(int v) {
    int doubled = v * 2;
    return doubled; // stop: twice
}

int main(void) {
    struct Point p = {2, 3};
    int numbers[4] = {10, 20, 30, 40};
    enum Color color = BLUE;
    const char *greeting = "hello";
    char letter = 'A';
    double ratio = 2.5;
    float half = 0.5f;
    unsigned char byte = 200;
    short small = -5;
    long long big = 1234567890123LL;
    _Bool flag = 1;
    uint count = 3;
    union Number num;
    num.i = 42;
    char buffer[8] = "hi";
    int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
    struct Node third = {30, NULL};
    struct Node second = {20, &third};
    struct Node first = {10, &second};
    struct Rect rect = {{1, 2}, 4, 5, GREEN};
    int *cursor = &numbers[1];
    int a = area(&rect); // stop: main
    int s = sum_list(&first);
    int t = twice(a);
    printf("%d %d %d %d %s %c %f %f %u %d %lld %d %u %d %s %d %d %d %d %d %s\n", p.x, p.y,
           numbers[0], color, greeting, letter, ratio, half, byte, small, big, flag, count,
           num.i, buffer, grid[1][2], *cursor, a, s, t + counter, banner);
    return 0;
}
