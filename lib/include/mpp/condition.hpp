#pragma once
/// @file condition.hpp
/// @brief mpp::Condition, Python's multiprocessing.Condition: wait for a notification
/// while giving up a lock.
///
/// @code
/// mpp::Condition cv;                        // its own RLock; or mpp::Condition cv(some_lock)
/// // consumer:
/// { std::lock_guard g(cv); cv.wait_for([&] { return items.load() > 0; }); items.fetch_add(-1); }
/// // producer:
/// { std::lock_guard g(cv); items.fetch_add(1); cv.notify(); }
/// @endcode
///
/// Design: a FIFO list of waiters, head and tail words in the Condition's block, linked
/// through queue nodes (detail/mcs.hpp) that live on each waiter's own rank. The list is only
/// changed while holding the lock, so plain atomic loads and stores suffice. wait() queues a
/// node, releases the lock (every level of an RLock), waits with backoff on its own node's
/// flag, then takes the lock back. notify(n) unlinks up to n waiters and sets their flags with
/// a compare-and-swap; a waiter that timed out swapped in "abandoned" first and is skipped,
/// so n live waiters are woken. A timed-out waiter unlinks itself once it holds the lock again.
///
/// With a plain mpp::Lock, "holding the lock" can only mean "the lock is held": as in Python,
/// a Lock records no owning thread. Every call is local (no collective).

#include <chrono>
#include <cstdint>
#include <variant>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/detail/python_lock.hpp"
#include "mpp/lock.hpp"
#include "mpp/rlock.hpp"

namespace mpp {

/// @brief A condition variable usable from any rank; see the file comment.
class Condition : public detail::PythonLock<Condition> {
 public:
  struct State {
    detail::Handle block;
    detail::Handle lock_block;
    std::uint64_t lock_offset;
    std::uint64_t lock_is_rlock;
  };

  /// @brief A Condition with its own RLock (Python's Condition()); local.
  Condition();
  /// @brief A Condition over `lock`, which it shares with every copy of that lock; local.
  explicit Condition(Lock lock);
  explicit Condition(RLock lock);

  // lock(), try_lock(), acquire(block[, timeout]) and release() take and release the
  // underlying lock (Python's acquire()); they come from PythonLock.
  void unlock();

  /// @brief Releases the lock, waits for a notification, takes the lock back; returns true.
  /// @throws mpp::RuntimeError if the lock is not held.
  bool wait() { return wait_until(detail::Deadline{}); }
  /// @brief As wait(), at most `timeout`; false if it ran out (the lock is held again either way).
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::Deadline(timeout));
  }
  /// @brief Waits until `predicate()` (evaluated with the lock held, on this rank) is true;
  /// returns its last value. @throws mpp::RuntimeError if the lock is not held.
  template <class Predicate>
  bool wait_for(Predicate predicate) {
    return wait_for_until(predicate, detail::Deadline{});
  }
  /// @brief As wait_for(predicate), at most `timeout` in all.
  template <class Predicate, class Rep, class Period>
  bool wait_for(Predicate predicate, std::chrono::duration<Rep, Period> timeout) {
    return wait_for_until(predicate, detail::Deadline(timeout));
  }
  /// @brief Wakes up to `n` waiters, longest waiting first.
  /// @throws mpp::RuntimeError if the lock is not held.
  void notify(int n = 1);
  /// @brief Wakes every waiter. @throws mpp::RuntimeError if the lock is not held.
  void notify_all();

  State state() const;
  static Condition from_state(const State& state);

 private:
  friend class detail::PythonLock<Condition>;
  Condition(const detail::Handle& block, std::variant<Lock, RLock> lock)
      : block_(block), lock_(std::move(lock)) {}
  bool acquire_until(bool block, const detail::Deadline& deadline);
  bool wait_until(const detail::Deadline& deadline);
  template <class Predicate>
  bool wait_for_until(Predicate& predicate, const detail::Deadline& deadline) {
    bool result = predicate();
    while (!result) {
      if (deadline.passed()) break;
      wait_until(deadline);
      result = predicate();
    }
    return result;
  }
  bool owned() const;
  void require_owned(const char* operation) const;
  void unlink(std::uint64_t node);

  detail::Handle block_;
  detail::BlockOwner owner_;
  std::variant<Lock, RLock> lock_;
};

}  // namespace mpp
