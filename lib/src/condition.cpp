#include "mpp/condition.hpp"

#include <string>

#include "mpp/detail/mcs.hpp"
#include "mpp/errors.hpp"

namespace mpp {
namespace {
// The Condition's block: the waiter list, then (for Condition()) its own RLock.
constexpr std::uint64_t head_word = 0;
constexpr std::uint64_t tail_word = 8;
constexpr std::uint64_t own_rlock = 16;

using detail::atomic_load;
using detail::atomic_store;
using detail::NodeId;
using Word = std::uint64_t;
}  // namespace

Condition::Condition()
    : Condition(detail::heap_allocate(own_rlock + RLock::bytes), RLock::at({}, 0, nullptr)) {
  owner_ = detail::own_block(block_);
  lock_ = RLock::at(block_, own_rlock, owner_);
}

Condition::Condition(Lock lock) : Condition(detail::heap_allocate(own_rlock), std::move(lock)) {
  owner_ = detail::own_block(block_);
}

Condition::Condition(RLock lock) : Condition(detail::heap_allocate(own_rlock), std::move(lock)) {
  owner_ = detail::own_block(block_);
}

Condition::State Condition::state() const {
  if (const auto* rlock = std::get_if<RLock>(&lock_)) {
    const auto s = rlock->state();
    return {block_, s.block, s.offset, 1};
  }
  const auto s = std::get<Lock>(lock_).state();
  return {block_, s.block, s.offset, 0};
}

Condition Condition::from_state(const State& state) {
  detail::check_live(state.block);
  if (state.lock_is_rlock != 0)
    return Condition(state.block, RLock::from_state({state.lock_block, state.lock_offset}));
  return Condition(state.block, Lock::from_state({state.lock_block, state.lock_offset}));
}

bool Condition::acquire_until(bool block, const detail::Deadline& deadline) {
  return std::visit([&](auto& l) { return l.acquire_until(block, deadline); }, lock_);
}

void Condition::unlock() {
  std::visit([](auto& l) { l.unlock(); }, lock_);
}

bool Condition::owned() const {
  if (const auto* rlock = std::get_if<RLock>(&lock_)) return rlock->is_owned();
  return std::get<Lock>(lock_).locked();
}

void Condition::require_owned(const char* operation) const {
  if (!owned())
    throw RuntimeError(std::string("Condition.") + operation + ": cannot " + operation +
                       " on un-acquired lock; acquire the Condition (or its lock) first");
}

bool Condition::wait_until(const detail::Deadline& deadline) {
  require_owned("wait");
  const NodeId me = detail::take_node();
  const detail::Handle mine = detail::node_block(me);
  detail::store_own_word(mine, detail::node_flag, detail::node_wait);
  // Append to the list; the lock is held, so nothing else changes it meanwhile.
  const NodeId last = atomic_load<Word>(block_, tail_word);
  if (last != 0) {
    atomic_store<Word>(detail::node_block(last), detail::node_next, me);
  } else {
    atomic_store<Word>(block_, head_word, me);
  }
  atomic_store<Word>(block_, tail_word, me);

  std::uint64_t levels = 1;
  if (auto* rlock = std::get_if<RLock>(&lock_)) {
    levels = rlock->release_all();
  } else {
    std::get<Lock>(lock_).unlock();
  }
  bool notified = detail::wait_on_node(mine, detail::node_flag, detail::node_wait, deadline) != 0;
  // Timed out: say so, unless a notification arrived in the meantime.
  if (!notified)
    notified = detail::atomic_compare_swap<Word>(mine, detail::node_flag, detail::node_wait,
                                                 detail::node_abandoned) != detail::node_wait;
  if (auto* rlock = std::get_if<RLock>(&lock_)) {
    rlock->reacquire_all(levels);
  } else {
    std::get<Lock>(lock_).lock();
  }
  // A notified node was unlinked by notify(); one that timed out may still be listed.
  if (!notified) unlink(me);
  detail::retire_node(me, true);
  return notified;
}

void Condition::unlink(NodeId node) {
  NodeId previous = 0;
  NodeId current = atomic_load<Word>(block_, head_word);
  while (current != 0 && current != node) {
    previous = current;
    current = atomic_load<Word>(detail::node_block(current), detail::node_next);
  }
  if (current == 0) return;  // notify() already took it off the list
  const NodeId next = atomic_load<Word>(detail::node_block(node), detail::node_next);
  if (previous != 0) {
    atomic_store<Word>(detail::node_block(previous), detail::node_next, next);
  } else {
    atomic_store<Word>(block_, head_word, next);
  }
  if (next == 0) atomic_store<Word>(block_, tail_word, previous);
}

void Condition::notify(int n) {
  require_owned("notify");
  while (n > 0) {
    const NodeId first = atomic_load<Word>(block_, head_word);
    if (first == 0) return;
    const detail::Handle node = detail::node_block(first);
    // Read the link before the flag: once woken, the waiter may reuse its node.
    const NodeId next = atomic_load<Word>(node, detail::node_next);
    atomic_store<Word>(block_, head_word, next);
    if (next == 0) atomic_store<Word>(block_, tail_word, 0);
    if (detail::atomic_compare_swap<Word>(node, detail::node_flag, detail::node_wait,
                                          detail::node_go) == detail::node_wait)
      --n;
  }
}

void Condition::notify_all() {
  require_owned("notify");
  notify(1 << 30);
}

}  // namespace mpp
