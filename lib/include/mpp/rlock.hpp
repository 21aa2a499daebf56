#pragma once
/// @file rlock.hpp
/// @brief mpp::RLock, Python's multiprocessing.RLock: a re-entrant FIFO lock usable from any rank.
///
/// The thread that holds it may acquire it again; it is free once released as often as
/// acquired. Owned by one thread of one rank (several processes or pool workers may run as
/// threads of one rank: each is a different owner). A handle, Lockable, and the lock of
/// Value::get_lock() and Array::get_lock(), as in Python.
/// @code
/// mpp::RLock lock;
/// std::lock_guard outer(lock);
/// std::lock_guard inner(lock);     // same thread: re-entered, no deadlock
/// @endcode
///
/// Design: the MCS queue lock of mpp::Lock in one word; the owner and the count are kept by
/// the owning thread itself (only it may change them), so re-entering costs no RMA operation,
/// a first acquire of a free RLock one atomic swap and the last release one compare-and-swap.
/// Every call is local (no collective): RMA atomics on the lock's memory and the caller's node.

#include <chrono>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/detail/python_lock.hpp"

namespace mpp {

/// @brief A re-entrant lock usable from any rank; see the file comment.
class RLock : public detail::PythonLock<RLock> {
 public:
  /// One word at `offset` of `block`: the queue's tail.
  struct State {
    detail::Handle block;
    std::uint64_t offset;
  };
  static constexpr std::uint64_t bytes = 8;

  /// @brief Creates an unlocked RLock on this rank's heap; local.
  RLock();

  // lock(), try_lock(), acquire(block[, timeout]) and release() come from PythonLock; all of
  // them return at once when this thread already holds it (one more level).
  /// @brief Releases one level. @throws mpp::RuntimeError if this thread does not hold it.
  void unlock();
  /// @brief True if the calling thread holds it; local, no RMA operation.
  bool is_owned() const;

  State state() const { return {block_, offset_}; }
  static RLock from_state(const State& state);
  /// An RLock on the word at `offset` of a block owned by `owner` (Value's get_lock()).
  static RLock at(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner);

 private:
  friend class Condition;
  friend class detail::PythonLock<RLock>;
  RLock(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner)
      : owner_(std::move(owner)), block_(block), offset_(offset) {}
  bool acquire_until(bool block, const detail::Deadline& deadline);
  // Condition::wait: release every level at once, then take them all back.
  std::uint64_t release_all();
  void reacquire_all(std::uint64_t count);

  detail::BlockOwner owner_;
  detail::Handle block_;
  std::uint64_t offset_ = 0;
};

}  // namespace mpp
