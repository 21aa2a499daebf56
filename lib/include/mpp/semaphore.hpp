#pragma once
/// @file semaphore.hpp
/// @brief mpp::Semaphore and mpp::BoundedSemaphore, Python's multiprocessing semaphores.
///
/// A counter in the shared heap of the rank that made it; a handle, usable from any rank.
/// acquire() takes one unit, waiting (with backoff) while there is none; release() gives
/// units back. Lockable, so `std::lock_guard g(sem);` is Python's `with sem:`.
/// @code
/// mpp::BoundedSemaphore slots(2);       // at most two holders at a time
/// { std::lock_guard g(slots); /* ... */ }
/// if (slots.acquire(true, std::chrono::milliseconds(10))) slots.release();
/// @endcode
///
/// Design: one 64-bit word; acquire is a load and a compare-and-swap that decrements a
/// positive count, release one fetch_add (a compare-and-swap for the bounded kind, which must
/// check the bound first). Waiters poll the word with backoff, so they are not served in
/// order; this is the same as Python, whose semaphores promise no order either. Every call is
/// local (no collective).

#include <chrono>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp {

/// @brief A counting semaphore usable from any rank; see the file comment.
class Semaphore {
 public:
  struct State {
    detail::Handle block;
    std::int64_t bound;  // the initial value for a BoundedSemaphore, -1 for none
  };

  /// @brief Creates a semaphore holding `value` units; local.
  /// @throws mpp::ValueError if `value` is negative.
  explicit Semaphore(std::int64_t value = 1) : Semaphore(value, -1) {}

  /// @brief Python's acquire(block=True): takes a unit; false if `block` is false and there is
  /// none.
  bool acquire(bool block = true) { return acquire_until(block, detail::Deadline{}); }
  /// @brief Python's acquire(True, timeout): false when the timeout runs out first.
  template <class Rep, class Period>
  bool acquire(bool block, std::chrono::duration<Rep, Period> timeout) {
    return acquire_until(block, detail::Deadline(timeout));
  }
  /// @brief Gives back `n` units (Python's release(n), n >= 1).
  /// @throws mpp::ValueError if `n` < 1, or, for a BoundedSemaphore, if the count would rise
  /// above its initial value.
  void release(std::int64_t n = 1);
  /// @brief The units available now (Python's get_value()); one remote load.
  std::int64_t get_value() const;

  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }

  State state() const { return {block_, bound_}; }
  static Semaphore from_state(const State& state);

 protected:
  Semaphore(std::int64_t value, std::int64_t bound);
  Semaphore(const detail::Handle& block, std::int64_t bound) : block_(block), bound_(bound) {}

 private:
  bool acquire_until(bool block, const detail::Deadline& deadline);

  detail::Handle block_;
  detail::BlockOwner owner_;
  std::int64_t bound_ = -1;
};

/// @brief A Semaphore that may not be released above its initial value.
class BoundedSemaphore : public Semaphore {
 public:
  /// @brief Creates a semaphore holding `value` units, never more; local.
  explicit BoundedSemaphore(std::int64_t value = 1) : Semaphore(value, value) {}
  static BoundedSemaphore from_state(const State& state);

 private:
  explicit BoundedSemaphore(const State& state) : Semaphore(state.block, state.bound) {}
};

}  // namespace mpp
