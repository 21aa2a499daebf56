#include "mpp/detail/backoff.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace mpp::detail {

namespace {
// After this long of yielding, a waiter starts to sleep: long enough that a reply to a
// request just sent still finds the waiter awake, short enough that an idle rank soon
// stops competing for a core with ranks that compute.
constexpr auto spin_phase = std::chrono::microseconds(20);
constexpr auto yield_phase = std::chrono::microseconds(200);
constexpr auto first_sleep = std::chrono::microseconds(10);
constexpr auto max_sleep = std::chrono::microseconds(1000);
}  // namespace

void Backoff::pause() {
  if (rounds_ == 0) started_ = Clock::now();
  ++rounds_;
  const auto waited = Clock::now() - started_;
  if (waited < spin_phase) {
    // A system call costs microseconds in a virtual machine: a reply that is on its way
    // is seen sooner by polling again at once.
    for (unsigned i = 0; i < spin_pauses_; ++i) __builtin_ia32_pause();
    return;
  }
  if (waited < yield_phase) {
    sched_yield();
    return;
  }
  // Sleeps double once per millisecond waited: replies that take a millisecond (across TCP
  // hosts) are still seen within tens of microseconds, while an idle rank soon wakes only
  // once a millisecond.
  const auto doublings = std::min<long>((waited - yield_phase) / std::chrono::milliseconds(1), 7);
  std::this_thread::sleep_for(std::min<std::chrono::microseconds>(first_sleep * (1L << doublings), max_sleep));
}

}  // namespace mpp::detail
