// libstdc++ from the sysroot: exceptions unwinding through frames with destructors, a
// rethrow, containers, iostream and std::string.
#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct Noisy {
    std::string name;
    ~Noisy() { std::cout << "destroy " << name << "\n"; }
};

static int descend(int n) {
    Noisy guard{"frame " + std::to_string(n)};
    if (n == 0) throw std::runtime_error("reached the bottom");
    return descend(n - 1) + 1;
}

int main() {
    try {
        try {
            descend(3);
        } catch (const std::runtime_error &e) {
            std::cout << "inner caught: " << e.what() << "\n";
            throw;
        }
    } catch (const std::exception &e) {
        std::cout << "outer caught: " << e.what() << "\n";
    }
    std::vector<std::string> words{"pear", "apple", "fig", "banana"};
    std::sort(words.begin(), words.end());
    std::map<std::string, size_t> lengths;
    for (const auto &w : words) lengths[w] = w.size();
    for (const auto &[w, n] : lengths) std::cout << w << "=" << n << " ";
    std::cout << std::endl;
    return 0;
}
