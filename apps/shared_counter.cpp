// shared_counter: 4 processes add 1 to a shared Value, three ways.
//
// Python original:
//   def no_lock(counter, n):
//       for _ in range(n): counter.value += 1               # read, add, write: updates get lost
//   def lock_each(counter, n):
//       for _ in range(n):
//           with counter.get_lock(): counter.value += 1     # exact, one lock per increment
//   def lock_loop(counter, n):
//       with counter.get_lock():
//           for _ in range(n): counter.value += 1           # exact, one lock for the loop
//   counter = Value('i', 0)
//   ps = [Process(target=no_lock, args=(counter, n)) for _ in range(4)]; start and join them
#include <mpp/mpp.hpp>
#include <mutex>
#include <vector>

#include "common/app.hpp"

// counter.value += 1 is a load and a store: another process may store in between.
void no_lock(mpp::Value<long> counter, long n) {
  for (long i = 0; i < n; ++i) counter.store(counter.load() + 1);
}

void lock_each(mpp::Value<long> counter, long n) {
  for (long i = 0; i < n; ++i) {
    std::lock_guard guard(counter.get_lock());
    counter.store(counter.load() + 1);
  }
}

void lock_loop(mpp::Value<long> counter, long n) {
  std::lock_guard guard(counter.get_lock());
  for (long i = 0; i < n; ++i) counter.store(counter.load() + 1);
}

// Starts `processes` processes running task(counter, n), joins them, returns the count.
long count_with(void (*task)(mpp::Value<long>, long), int processes, long n) {
  mpp::Value<long> counter(0);
  std::vector<mpp::Process> ps;
  for (int i = 0; i < processes; ++i) ps.emplace_back(task, counter, n);
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  return counter.load();
}

int main(int argc, char** argv) {
  mppapp::App app("shared_counter",
                  "Processes incrementing a shared Value without and with a lock");
  int processes = 4;
  long increments = 1000;
  app.flag("--processes", processes, "processes incrementing the counter")
      ->check(CLI::Range(1, 64));
  app.flag("--increments", increments, "increments per process")->check(CLI::Range(1L, 10000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    const long expected = processes * increments;
    r.result("expected", expected);

    const long racy =
        r.timed("no lock", [&] { return count_with(no_lock, processes, increments); });
    r.result("counter_no_lock", racy);
    r.result("lost_updates", expected - racy);
    // Lost updates can only lower the count; how many are lost depends on the timing.
    r.check("no lock: at most the expected count", racy >= 1 && racy <= expected,
            "got {}, expected 1 to {}", racy, expected);

    const long each =
        r.timed("lock per increment", [&] { return count_with(lock_each, processes, increments); });
    r.result("counter_lock_each", each);
    r.check("lock per increment is exact", each == expected, "got {}, expected {}", each, expected);

    const long loop = r.timed("lock around the loop",
                              [&] { return count_with(lock_loop, processes, increments); });
    r.result("counter_lock_loop", loop);
    r.check("lock around the loop is exact", loop == expected, "got {}, expected {}", loop,
            expected);
  });
}
