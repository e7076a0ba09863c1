// Aggregates passed and returned by value: wasm32's C ABI passes them through a pointer that
// clang's DWARF does not mention (the parameter's location is the wasm local holding the pointer),
// so a debugger must read the object through it. Values are known from the source: the gdb command
// file examples/gdb/byvalue.gdb prints them, and gdb on a native build prints the same.
#include <stdio.h>

struct Point {
    int x;
    int y;
};

struct Box {
    struct Point corner;
    struct Point size;
    const char *label;
};

union Bits {
    unsigned int word;
    unsigned char bytes[4];
};

struct Flags {
    unsigned int ready : 1;
    unsigned int mode : 3;
    int level : 5;
};

int area(struct Point a, struct Point b) {
    int w = b.x - a.x; // stop: area
    int h = b.y - a.y;
    return w * h;
}

int box_perimeter(struct Box box) {
    return 2 * (box.size.x + box.size.y); // stop: box
}

unsigned int low_byte(union Bits bits) {
    return bits.bytes[0]; // stop: bits
}

int flag_sum(struct Flags flags) {
    return flags.ready + flags.mode + flags.level; // stop: flags
}

struct Point midpoint(struct Point a, struct Point b) {
    struct Point m = {(a.x + b.x) / 2, (a.y + b.y) / 2}; // stop: midpoint
    return m;
}

int main(void) {
    struct Point a = {2, 3};
    struct Point b = {7, 11};
    struct Box box = {{1, 2}, {30, 40}, "crate"};
    union Bits bits = {.word = 0x11223344};
    struct Flags flags = {1, 5, -3};
    struct Point m = midpoint(a, b);
    printf("%d %d %u %d %d %d\n", area(a, b), box_perimeter(box), low_byte(bits),
           flag_sum(flags), m.x, m.y);
    return 0;
}
