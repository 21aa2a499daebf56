#pragma once
/// @file lock.hpp
/// @brief mpp::Lock, Python's multiprocessing.Lock on a word of the shared heap.
///
/// A handle: copies and copies sent to tasks on other ranks name the same lock. Lockable,
/// so std::lock_guard, std::unique_lock and std::scoped_lock work.
/// @code
/// mpp::Lock lock;
/// { std::lock_guard guard(lock); /* critical section */ }
/// if (lock.acquire(true, std::chrono::milliseconds(50))) lock.release();
/// @endcode
/// This is not MPI_Win_lock: that orders RMA accesses only and implementations may take it
/// lazily. This lock is a compare-and-swap on a heap word with backoff while waiting; it is
/// not FIFO. Like Python's Lock, any rank may release it.

#include <chrono>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp {

/// @brief The value of the `mpp::lock = false` keyword argument.
struct LockOption {
  bool enabled = true;
};
/// @brief Keyword for shared objects: `mpp::Value<int> v(0, mpp::lock = false);`
struct LockKeyword {
  constexpr LockOption operator=(bool enabled) const noexcept { return LockOption{enabled}; }
};
inline constexpr LockKeyword lock{};

/// @brief A mutual exclusion lock usable from any rank.
class Lock {
 public:
  struct State {
    detail::Handle block;
    std::uint64_t offset;
  };

  /// @brief Creates an unlocked lock on this rank's heap; local.
  Lock();

  /// @brief Blocks until acquired; local call, remote atomics.
  void lock() { acquire_until(true, detail::Deadline{}); }
  /// @brief Acquires if free, never waits.
  bool try_lock() { return acquire_until(false, detail::Deadline{}); }
  /// @brief Releases. @throws mpp::ValueError if the lock is not held.
  void unlock();

  /// @brief Python's acquire(block=True): true once acquired, false if `block` is false
  /// and the lock is taken.
  bool acquire(bool block = true) { return acquire_until(block, detail::Deadline{}); }
  /// @brief Python's acquire(True, timeout): false when the timeout runs out.
  template <class Rep, class Period>
  bool acquire(bool block, std::chrono::duration<Rep, Period> timeout) {
    return acquire_until(block, detail::Deadline(timeout));
  }
  /// @brief Python's release(); same as unlock().
  void release() { unlock(); }

  State state() const { return {block_, offset_}; }
  static Lock from_state(const State& state);
  /// A lock on word `offset` of a block owned by `owner` (Value's get_lock()).
  static Lock at(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner);

 private:
  Lock(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner)
      : owner_(std::move(owner)), block_(block), offset_(offset) {}
  bool acquire_until(bool block, const detail::Deadline& deadline);

  detail::BlockOwner owner_;
  detail::Handle block_;
  std::uint64_t offset_ = 0;
};

}  // namespace mpp
