#pragma once
// The calls Lock, RLock and Condition share: C++'s Lockable (lock, try_lock, unlock, so that
// std::lock_guard, std::unique_lock and std::scoped_lock work) and Python's acquire/release,
// all in terms of the class's own acquire_until(block, deadline) and unlock().

#include <chrono>

#include "mpp/detail/backoff.hpp"

namespace mpp::detail {

template <class Derived>
class PythonLock {
 public:
  /// @brief Blocks until acquired.
  void lock() { self().acquire_until(true, Deadline{}); }
  /// @brief Acquires if that needs no waiting; true if acquired.
  bool try_lock() { return self().acquire_until(false, Deadline{}); }
  /// @brief Python's acquire(block=True): true once acquired, false if `block` is false and
  /// the lock is taken.
  bool acquire(bool block = true) { return self().acquire_until(block, Deadline{}); }
  /// @brief Python's acquire(True, timeout): false when the timeout runs out first.
  template <class Rep, class Period>
  bool acquire(bool block, std::chrono::duration<Rep, Period> timeout) {
    return self().acquire_until(block, Deadline(timeout));
  }
  /// @brief Python's release(); the same as unlock().
  void release() { self().unlock(); }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace mpp::detail
