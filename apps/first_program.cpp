// The README's first program.
#include <cstdio>
#include <mpp/mpp.hpp>
#include <vector>

// Runs on a worker; the Value travels as a handle to rank 0's memory.
long add(mpp::Value<long> total, long n) {
  for (long i = 0; i < n; ++i) total.fetch_add(1);   // one RMA atomic each
  return n;
}

int main(int argc, char** argv) {
  return mpp::run(argc, argv, [] {                    // rank 0 runs this; the others serve
    mpp::Value<long> total(0);
    std::vector<mpp::RemoteCall<long>> calls;
    for (int w = 1; w <= mpp::worker_count(); ++w)
      calls.push_back(mpp::submit_to(w, add, total, 1000));
    for (auto& c : calls) c.get();                    // a task's exception is raised here
    std::printf("%ld\n", total.load());               // 1000 x workers
    return 0;
  });
}
