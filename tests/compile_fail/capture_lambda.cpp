// Must fail to compile: the captured `base` has no address on another rank.
#include <mpp/mpp.hpp>

int main(int argc, char** argv) {
  return mpp::run(argc, argv, [] {
    int base = 40;
    return mpp::call_on(1, [base](int x) { return base + x; }, 2);
  });
}
