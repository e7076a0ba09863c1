// containers.cpp — libc++'s std::string and std::vector for the debugger's pretty printing
// (crates/cli/tests/debug_sessions/cpp_containers.gdb). Every value is known by construction:
// a string short enough for libc++'s inline buffer and one that is not, vectors of numbers,
// of strings and of records, an empty vector with reserved room, and a record holding both.
#include <cstdio>
#include <string>
#include <vector>

struct Order {
    std::string customer;
    std::vector<int> quantities;
};

int count_items(const Order &order, const std::vector<std::string> &tags) {
    int total = 0;
    for (int quantity : order.quantities) {
        total += quantity;
    }
    return total + static_cast<int>(tags.size()); // stop: count_items
}

int main() {
    std::string short_text = "text";
    std::string long_text = "a string longer than the inline buffer of libc++";
    std::vector<int> primes = {2, 3, 5, 7, 11};
    std::vector<std::string> tags = {"red", "green", "a tag long enough to be on the heap"};
    std::vector<double> empty;
    empty.reserve(4);
    Order order{"ada", {1, 2, 3}};
    int items = count_items(order, tags);
    std::printf("%s %zu %zu %zu %d\n", short_text.c_str(), long_text.size(), primes.size(),
                empty.capacity(), items);
    return 0;
}
