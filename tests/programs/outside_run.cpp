// The runtime's functions and shared objects used outside mpp::run: each must be a clear
// mpp error, never a crash. Prints one line per case; the test checks them.
#include <cstdio>
#include <mpp/mpp.hpp>

template <class F>
void expect_error(const char* what, F f) {
  try {
    f();
    std::printf("%s: no error\n", what);
  } catch (const mpp::Error& e) {
    std::printf("%s: %s\n", what, e.what());
  }
}

int main() {
  expect_error("worker_count", [] { (void)mpp::worker_count(); });
  expect_error("rank", [] { (void)mpp::rank(); });
  expect_error("Value", [] { mpp::Value<int> v(1); });
  expect_error("call_on", [] { (void)mpp::call_on(1, [](int x) { return x; }, 1); });
  std::printf("cpu_count %d, hostname %s\n", mpp::cpu_count(), mpp::hostname().c_str());
  return 0;
}
