// C++ for the debugger: namespaces, a class hierarchy with a virtual method, overloaded
// functions and a function template. Breakpoints by unqualified, qualified and overloaded
// names must resolve as gdb resolves them (examples/gdb/shapes.gdb). No C++ library: classes
// live on the stack, so the module links against wasi-libc alone.
#include <stdio.h>

namespace geo {

struct Shape {
    int id;
    explicit Shape(int id) : id(id) {}
    virtual int area() const { return 0; }
};

struct Rect : Shape {
    int w;
    int h;
    Rect(int id, int w, int h) : Shape(id), w(w), h(h) {}
    int area() const override { return w * h; }
};

int total_area(const Shape &a, const Shape &b) {
    return a.area() + b.area();
}

}  // namespace geo

int measure(int x) {
    return x * 2;
}

int measure(double x) {
    return (int)(x * 3);
}

template <typename T>
T biggest(T a, T b) {
    return a > b ? a : b;
}

int main() {
    geo::Rect r(1, 3, 4);
    geo::Rect s(2, 5, 6);
    int a = geo::total_area(r, s);
    int m = measure(a) + measure(2.5);
    long b = biggest<long>(a, m);
    int c = biggest(a, 7);
    printf("%d %d %ld %d\n", a, m, b, c);
    return 0;
}
