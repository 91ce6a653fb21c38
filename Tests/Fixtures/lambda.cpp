// A C++ lambda capturing a local: its operator() is nested in run()'s debug entry.
#include <cstdio>

int run(int factor) {
    auto scale = [factor](int v) {
        int scaled = v * factor;
        return scaled + 1;
    };
    return scale(4) + scale(5);
}

int main() {
    std::printf("%d\n", run(3));
    return 0;
}
