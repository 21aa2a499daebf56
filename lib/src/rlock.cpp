#include "mpp/rlock.hpp"

#include <algorithm>
#include <vector>

#include "mpp/detail/mcs.hpp"
#include "mpp/errors.hpp"

namespace mpp {
namespace {

// What the owning thread knows about an RLock it holds. Only the owner changes the count,
// so it never needs to be shared: other threads learn nothing from it but "not mine".
struct Held {
  detail::Handle block;
  std::uint64_t offset;
  detail::NodeId node;
  std::uint64_t count;
};

thread_local std::vector<Held> held;

bool same_lock(const Held& h, const detail::Handle& block, std::uint64_t offset) {
  return h.offset == offset && h.block.rank == block.rank && h.block.offset == block.offset &&
         h.block.generation == block.generation;
}

Held* find(const detail::Handle& block, std::uint64_t offset) {
  auto it = std::find_if(held.begin(), held.end(),
                         [&](const Held& h) { return same_lock(h, block, offset); });
  return it == held.end() ? nullptr : &*it;
}

void forget(const Held* record) { held.erase(held.begin() + (record - held.data())); }

}  // namespace

RLock::RLock() : RLock(detail::heap_allocate(bytes), 0, nullptr) {
  owner_ = detail::own_block(block_);
}

RLock RLock::from_state(const State& state) {
  detail::check_live(state.block);
  return RLock(state.block, state.offset, nullptr);
}

RLock RLock::at(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner) {
  return RLock(block, offset, std::move(owner));
}

bool RLock::acquire_until(bool block, const detail::Deadline& deadline) {
  if (Held* mine = find(block_, offset_)) {
    ++mine->count;
    return true;
  }
  const detail::NodeId node = detail::mcs_acquire(block_, offset_, block, deadline);
  if (node == 0) return false;
  held.push_back(Held{block_, offset_, node, 1});
  return true;
}

void RLock::unlock() {
  Held* mine = find(block_, offset_);
  if (mine == nullptr)
    throw RuntimeError(
        "RLock.release: cannot release un-acquired lock (this thread does not "
        "hold it); only the thread that acquired an RLock may release it");
  if (--mine->count > 0) return;
  const detail::NodeId node = mine->node;
  forget(mine);
  detail::mcs_release(block_, offset_, node);
}

bool RLock::is_owned() const { return find(block_, offset_) != nullptr; }

std::uint64_t RLock::release_all() {
  Held* mine = find(block_, offset_);
  if (mine == nullptr) throw RuntimeError("RLock: cannot release un-acquired lock");
  const std::uint64_t count = mine->count;
  const detail::NodeId node = mine->node;
  forget(mine);
  detail::mcs_release(block_, offset_, node);
  return count;
}

void RLock::reacquire_all(std::uint64_t count) {
  const detail::NodeId node = detail::mcs_acquire(block_, offset_, true, detail::Deadline{});
  held.push_back(Held{block_, offset_, node, count});
}

}  // namespace mpp
