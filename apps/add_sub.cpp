// add_sub: one process adds 1 to a shared Value 500 times while another subtracts 1 500 times.
// Without a lock some updates are lost and the result is rarely 0; with the lock it is 0.
//
// Python original:
//   def add(value):
//       for _ in range(500):
//           with value.get_lock():
//               value.value += 1
//   def sub(value):
//       for _ in range(500):
//           with value.get_lock():
//               value.value -= 1
//   value = Value('i', 0)
//   p1, p2 = Process(target=add, args=(value,)), Process(target=sub, args=(value,))
//   p1.start(); p2.start(); p1.join(); p2.join()
//   print(value.value)                 # 0
#include <chrono>
#include <mpp/mpp.hpp>
#include <mutex>
#include <string>

#include "common/app.hpp"

// `value += delta` is a load and a store: two processes doing it at once can both load the
// same number, and one of the two updates is lost. Both first wait for each other, since
// starting a process takes longer than 500 updates: one would be done before the other began.
void change(mpp::Value<long> value, mpp::Barrier together, long delta, long times, bool use_lock) {
  together.wait();
  for (long i = 0; i < times; ++i) {
    if (use_lock) {
      std::lock_guard guard(value.get_lock());
      value.store(value.load() + delta);
    } else {
      value.store(value.load() + delta);
    }
  }
}

void add(mpp::Value<long> value, mpp::Barrier together, long times, bool use_lock) {
  change(value, together, +1, times, use_lock);
}
void sub(mpp::Value<long> value, mpp::Barrier together, long times, bool use_lock) {
  change(value, together, -1, times, use_lock);
}

// Starts an adder and a subtracter on the same Value and returns what is left.
long race(long times, bool use_lock) {
  mpp::Value<long> value(0);
  mpp::Barrier together(2, nullptr, std::chrono::seconds(60));
  mpp::Process p1(add, value, together, times, use_lock), p2(sub, value, together, times, use_lock);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  return value.load();
}

int main(int argc, char** argv) {
  mppapp::App app("add_sub",
                  "500 adds and 500 subtracts on a shared Value, without and with a Lock");
  long times = 500;
  app.flag("--times", times, "adds (and subtracts) per process")->check(CLI::Range(0L, 100000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    const long unlocked = r.timed("without lock", [&] { return race(times, false); });
    if (unlocked != 0)
      r.say("without a lock: {} (at least {} updates lost)", unlocked,
            unlocked < 0 ? -unlocked : unlocked);
    else
      r.say(
          "without a lock: 0 (no update lost this time: the race window is short, try --times "
          "100000)");
    const long locked = r.timed("with lock", [&] { return race(times, true); });
    r.say("with the lock:  {}", locked);
    r.result("without_lock", unlocked);
    r.result("with_lock", locked);
    r.check("without a lock, at most every update lost", unlocked >= -times && unlocked <= times,
            "got {}, outside [-{}, {}]", unlocked, times, times);
    r.check("with the lock the value ends at 0", locked == 0, "got {}", locked);
  });
}
