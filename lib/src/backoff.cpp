#include "mpp/detail/backoff.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace mpp::detail {

namespace {
// After this long of yielding, a waiter starts to sleep: long enough that a reply to a
// request just sent still finds the waiter awake, short enough that an idle rank soon
// stops competing for a core with ranks that compute.
constexpr auto yield_phase = std::chrono::microseconds(200);
constexpr auto first_sleep = std::chrono::microseconds(10);
constexpr auto max_sleep = std::chrono::microseconds(1000);
}  // namespace

void Backoff::pause() {
  if (rounds_ == 0) started_ = Clock::now();
  ++rounds_;
  const auto waited = Clock::now() - started_;
  if (waited < yield_phase) {
    sched_yield();
    return;
  }
  const auto doublings = std::min<long>((waited - yield_phase) / yield_phase, 7);
  std::this_thread::sleep_for(std::min<std::chrono::microseconds>(first_sleep * (1L << doublings), max_sleep));
}

}  // namespace mpp::detail
