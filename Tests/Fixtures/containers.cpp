// C++ fixture for libstdc++ container visualizers (dx): every container below is built in
// main() with values known by construction, then stop_here() is called once.
// Build: g++ -g -O0 -std=c++17 containers.cpp -o containers   (also valid with -std=c++20)
#include <cstdio>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

struct Point {
    int x;
    int y;
};

__attribute__((noinline)) void stop_here() {
    asm volatile("" ::: "memory");
}

int main() {
    std::string short_str = "apple";                          // SSO: 5 chars in the local buffer
    std::string long_str = "a string longer than fifteen";    // 28 chars: heap buffer
    std::string empty_str;
    std::string sso_max = "fifteen chars!!";                  // 15 chars: the longest SSO string
    std::vector<int> ints{1, 2, 3};
    std::vector<bool> bits{true, false, true, true, false, false, false, false, true};
    std::vector<Point> points{{1, 2}, {3, 4}};
    std::vector<int> empty_ints;
    std::list<std::string> names{"ant", "bee", "cat"};
    std::map<int, std::string> numbers{{1, "one"}, {2, "two"}, {3, "three"}};
    std::set<int> primes{7, 2, 5, 3};
    std::unordered_map<std::string, int> ages{{"alice", 30}, {"bob", 25}, {"carol", 35}};
    std::unordered_map<int, int> squares{{2, 4}, {3, 9}};
    std::shared_ptr<int> shared = std::make_shared<int>(42);
    std::shared_ptr<int> shared_copy = shared;                // use_count 2
    std::weak_ptr<int> weak = shared;                         // weak_count 1
    std::shared_ptr<Point> shared_new(new Point{5, 6});       // separate control block
    std::unique_ptr<Point> unique = std::make_unique<Point>(Point{7, 8});
    std::unique_ptr<Point> unique_null;
    std::optional<int> opt_set = 17;
    std::optional<int> opt_empty;
    std::optional<std::string> opt_str = std::string("pear");
    std::variant<int, std::string> var_str = std::string("plum");
    std::variant<int, std::string> var_int = 99;
    std::deque<int> dq{10, 20, 30};
    std::list<int> empty_list;
    std::map<int, int> empty_map;
    std::unordered_map<int, int> empty_umap;

    stop_here();

    std::printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %ld %d %d %d %zu %zu %zu\n",
                short_str.size(), long_str.size(), empty_str.size(), ints.size(), bits.size(),
                points.size(), names.size(), numbers.size(), primes.size(), ages.size(),
                shared.use_count(), unique->x, *opt_set, opt_empty.has_value() ? 1 : 0,
                var_str.index(), dq.size(), empty_ints.size() + squares.size());
    (void)weak;
    (void)shared_new;
    (void)unique_null;
    (void)opt_str;
    (void)var_int;
    (void)sso_max;
    (void)empty_list;
    (void)empty_map;
    (void)empty_umap;
    return 0;
}
