// accounts.cpp — C++ classes for the debugger's ptype (examples/gdb/classes.gdb): private,
// protected and public members, a static data member, constructor, destructor, const and static
// member functions, a struct with a method and an empty class. No C++ library.
#include <stdio.h>
namespace shop {
class Account {
    int balance;
  protected:
    int level;
  public:
    static int opened;
    explicit Account(int b) : balance(b), level(1) { opened++; }
    ~Account() { opened--; }
    int deposit(int amount) { balance += amount; return balance; }
    int get() const { return balance; }
    static int count() { return opened; }
};
int Account::opened = 0;
struct Point { int x, y; int sum() const { return x + y; } };
class Empty {};
}
int main() {
    shop::Account a(5);
    shop::Point p{1, 2};
    shop::Empty e;
    a.deposit(3);
    printf("%d %d %d\n", a.get(), p.sum(), shop::Account::count());
    return 0;
}
