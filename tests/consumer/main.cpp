#include <cstdio>
#include <mpp/mpp.hpp>

int triple(int x) { return 3 * x; }

int main(int argc, char** argv) {
  return mpp::run(argc, argv, [] {
    mpp::Value<int> sum(0);
    for (int w = 1; w <= mpp::worker_count(); ++w)
      mpp::call_on(w, [](mpp::Value<int> s, int x) { s.fetch_add(triple(x)); }, sum, 1);
    const bool ok = sum.load() == 3 * mpp::worker_count();
    std::printf("consumer: %d from %d workers: %s\n", sum.load(), mpp::worker_count(), ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
  });
}
