#pragma once
/// @file lock.hpp
/// @brief mpp::Lock, Python's multiprocessing.Lock: a FIFO queue lock usable from any rank.
///
/// A handle: copies, and copies sent to tasks or processes on other ranks, name the same lock.
/// Lockable, so std::lock_guard, std::unique_lock and std::scoped_lock work.
/// @code
/// mpp::Lock lock;
/// { std::lock_guard guard(lock); /* critical section */ }
/// if (lock.acquire(true, std::chrono::milliseconds(50))) lock.release();
/// @endcode
///
/// Design: an MCS queue lock on RMA atomics (detail/mcs.hpp). Taking a free lock is one atomic
/// swap on the lock's home rank plus one store recording the holder; a waiter queues behind
/// the tail and waits, with backoff, on a flag in its own rank's memory, so waiters never
/// poll the home rank and the lock is granted in arrival order. A timed-out acquire marks its
/// queue node abandoned and returns; the next release passes it by.
///
/// This is not MPI_Win_lock: that orders RMA accesses only, may be taken lazily (at the first
/// access or at unlock) and cannot be taken inside mpp's heap epoch at all.
///
/// Like Python's Lock, any thread of any rank may release it (the holder's queue node is
/// recorded in the lock); releasing a Lock that is not held raises mpp::ValueError. A thread
/// that acquires a Lock it holds waits forever (as in Python); use mpp::RLock to re-enter.
/// Every call is local (no collective).

#include <chrono>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/detail/python_lock.hpp"

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

/// @brief A mutual exclusion lock usable from any rank; see the file comment.
class Lock : public detail::PythonLock<Lock> {
 public:
  /// Two words at `offset` of `block`: the queue's tail and the holder's queue node.
  struct State {
    detail::Handle block;
    std::uint64_t offset;
  };
  static constexpr std::uint64_t bytes = 16;

  /// @brief Creates an unlocked lock on this rank's heap; local.
  Lock();

  // lock(), try_lock(), acquire(block[, timeout]) and release() come from PythonLock.
  /// @brief Releases, handing the lock to the longest waiter.
  /// @throws mpp::ValueError if the lock is not held.
  void unlock();
  /// @brief True while some thread holds the lock (or is about to); one remote load.
  bool locked() const;

  State state() const { return {block_, offset_}; }
  static Lock from_state(const State& state);
  /// A lock on the two words at `offset` of a block owned by `owner`.
  static Lock at(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner);

 private:
  friend class Condition;
  friend class detail::PythonLock<Lock>;
  bool acquire_until(bool block, const detail::Deadline& deadline);

  Lock(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner)
      : owner_(std::move(owner)), block_(block), offset_(offset) {}

  detail::BlockOwner owner_;
  detail::Handle block_;
  std::uint64_t offset_ = 0;
};

namespace detail {
/// For tests: the queue node at the tail of a Lock's queue, 0 when the lock is free. Lets a
/// test know that a waiter has queued before it starts the next one.
std::uint64_t lock_tail(const Lock& lock);
}  // namespace detail

}  // namespace mpp
