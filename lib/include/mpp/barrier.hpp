#pragma once
/// @file barrier.hpp
/// @brief mpp::Barrier, Python's multiprocessing.Barrier: `parties` threads of any ranks
/// wait for each other, again and again.
///
/// @code
/// void step() { std::puts("all arrived"); }
/// mpp::Barrier barrier(4, step, std::chrono::seconds(30));
/// // in each of 4 processes:
/// int index = barrier.wait();    // 0..3 in arrival order; the last arrival runs step() first
/// @endcode
///
/// Semantics as in Python's threading.Barrier: wait() returns the arrival index; the last
/// arrival runs the action before anyone is released (if the action throws, the barrier breaks
/// and the exception reaches that caller); a wait that times out breaks the barrier; reset()
/// makes current waiters raise and the barrier usable again; abort() breaks it. Waiting on a
/// broken barrier raises mpp::BrokenBarrierError. Difference: the action is a function
/// pointer (or a lambda without captures), since the last arrival may be on any rank.
///
/// Design: one 64-bit word, [state: 2 bits][count of threads inside wait(): 32 bits], changed
/// by compare-and-swap loops, with Python's states: filling, draining (released, threads still
/// leaving), resetting, broken. A waiter polls the word with backoff until the state leaves
/// "filling"; the state cannot return to filling before every counted thread has left, so no
/// release is missed. The timeout (Python's too) also bounds the wait to enter a barrier that is
/// still draining or resetting. Every call is local (no collective): the parties are threads,
/// not necessarily ranks, and any number of ranks may take part.

#include <chrono>
#include <cstdint>
#include <optional>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/function_id.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp {

/// @brief A reusable barrier for threads of any ranks; see the file comment.
class Barrier {
 public:
  using Action = void (*)();

  struct State {
    detail::Handle block;
    std::int64_t parties;
    std::int64_t timeout_ns;  // the default timeout of wait(), -1 for none
    std::uint64_t has_action;
    detail::FnId action;
  };

  /// @brief A barrier for `parties` threads; local. @throws mpp::ValueError if parties < 1.
  explicit Barrier(int parties, Action action = nullptr) : Barrier(parties, action, -1) {}
  /// @brief With a default timeout for every wait().
  template <class Rep, class Period>
  Barrier(int parties, Action action, std::chrono::duration<Rep, Period> timeout)
      : Barrier(parties, action,
                std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count()) {}

  /// @brief Waits until `parties` threads wait; returns this one's arrival index (0 = first).
  /// @throws mpp::BrokenBarrierError if the barrier is or becomes broken or reset, or the
  /// default timeout runs out (which breaks it); whatever the action throws, in the thread
  /// that ran it.
  int wait();
  /// @brief As wait(), with its own timeout instead of the default.
  template <class Rep, class Period>
  int wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::Deadline(timeout));
  }
  /// @brief Back to the empty state; threads waiting now raise BrokenBarrierError.
  void reset();
  /// @brief Breaks the barrier: current and future waits raise until reset().
  void abort();
  /// @brief True if broken.
  bool broken() const;
  /// @brief Threads waiting now (0 while the barrier drains or resets).
  int n_waiting() const;
  int parties() const noexcept { return static_cast<int>(parties_); }

  State state() const;
  static Barrier from_state(const State& state);

 private:
  Barrier(int parties, Action action, std::int64_t timeout_ns);
  Barrier(const State& state);
  int wait_until(const detail::Deadline& deadline);
  void leave();
  void run_action();

  detail::Handle block_;
  detail::BlockOwner owner_;
  std::int64_t parties_ = 1;
  std::int64_t timeout_ns_ = -1;
  std::optional<detail::FnId> action_;
};

}  // namespace mpp
