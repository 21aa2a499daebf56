#pragma once
/// @file event.hpp
/// @brief mpp::Event, Python's multiprocessing.Event: a flag that ranks wait for.
///
/// @code
/// mpp::Event ready;
/// // on another rank: ready.wait();  or  if (!ready.wait(std::chrono::seconds(1))) ...
/// ready.set();
/// @endcode
///
/// Design: one 64-bit word holding the flag (bit 0) and the number of times it was set (the
/// rest). A waiter polls the word with backoff and returns once it sees the flag, or a set
/// count other than the one it started with: so, as in Python, a waiter present when set() is
/// called returns true even if clear() follows at once. Each poll is one remote load. Every call
/// is local (no collective).

#include <chrono>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp {

/// @brief A flag shared by every rank; see the file comment.
class Event {
 public:
  struct State {
    detail::Handle block;
  };

  /// @brief Creates a cleared event on this rank's heap; local.
  Event();

  /// @brief Sets the flag, waking every waiter.
  void set();
  /// @brief Clears the flag.
  void clear();
  /// @brief True if the flag is set; one remote load.
  bool is_set() const;
  /// @brief Waits until the flag is set; returns true.
  bool wait() { return wait_until(detail::Deadline{}); }
  /// @brief Waits at most `timeout`; true if the flag was set meanwhile (Python's wait(timeout)).
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::Deadline(timeout));
  }

  State state() const { return {block_}; }
  static Event from_state(const State& state);

 private:
  explicit Event(const detail::Handle& block) : block_(block) {}
  bool wait_until(const detail::Deadline& deadline) const;

  detail::Handle block_;
  detail::BlockOwner owner_;
};

}  // namespace mpp
