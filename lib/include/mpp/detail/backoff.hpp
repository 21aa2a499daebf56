#pragma once
// The one place where mpp waits. Ranks are often oversubscribed (more ranks than cores), so
// a waiter first yields its core, then sleeps with growing pauses, never spins for long.

#include <chrono>
#include <optional>

namespace mpp::detail {

using Clock = std::chrono::steady_clock;

class Backoff {
 public:
  /// `spin_pauses`: pause instructions per call in the spin phase (about 20 ns each here). The
  /// default suits a poll that is an MPI call; a poll of this rank's own memory (a queue lock
  /// waiter's flag) is cheap enough to repeat after every pause.
  explicit Backoff(unsigned spin_pauses = 16) : spin_pauses_(spin_pauses) {}
  /// Waits a little longer each call: spins for the first 20 us, yields the core until
  /// 200 us, then sleeps from 10 us, doubling each millisecond waited, up to 1 ms.
  void pause();
  void reset() noexcept { rounds_ = 0; }

 private:
  unsigned spin_pauses_ = 16;
  unsigned rounds_ = 0;
  Clock::time_point started_{};
};

/// A point in time after which a blocking call gives up; empty means never.
class Deadline {
 public:
  Deadline() = default;
  template <class Rep, class Period>
  explicit Deadline(std::chrono::duration<Rep, Period> timeout)
      : at_(Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout)) {}
  bool passed() const { return at_ && Clock::now() >= *at_; }

 private:
  std::optional<Clock::time_point> at_;
};

/// Polls `ready()` with backoff until it returns true (-> true) or the deadline passes (-> false).
template <class Ready>
bool wait_until(Ready&& ready, const Deadline& deadline = {}, Backoff backoff = Backoff{}) {
  while (!ready()) {
    if (deadline.passed()) return false;
    backoff.pause();
  }
  return true;
}

}  // namespace mpp::detail
