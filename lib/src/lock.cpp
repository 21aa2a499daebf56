#include "mpp/lock.hpp"

#include "mpp/detail/mcs.hpp"
#include "mpp/errors.hpp"

namespace mpp {
namespace {
// Word offsets inside the lock's two words.
constexpr std::uint64_t tail_word = 0;
constexpr std::uint64_t holder_word = 8;
}  // namespace

Lock::Lock() : Lock(detail::heap_allocate(bytes), 0, nullptr) {
  owner_ = detail::own_block(block_);
}

Lock Lock::from_state(const State& state) {
  detail::check_live(state.block);
  return Lock(state.block, state.offset, nullptr);
}

Lock Lock::at(const detail::Handle& block, std::uint64_t offset, detail::BlockOwner owner) {
  return Lock(block, offset, std::move(owner));
}

bool Lock::acquire_until(bool block, const detail::Deadline& deadline) {
  const detail::NodeId node = detail::mcs_acquire(block_, offset_ + tail_word, block, deadline);
  if (node == 0) return false;
  // Recorded so that any thread can release: the release needs the holder's node.
  detail::atomic_store<std::uint64_t>(block_, offset_ + holder_word, node);
  return true;
}

void Lock::unlock() {
  // The swap makes two concurrent releases of one acquisition safe: only one gets the node.
  const auto node = detail::atomic_swap<std::uint64_t>(block_, offset_ + holder_word, 0);
  if (node == 0)
    throw ValueError(
        "Lock.release: the lock is not held (released more often than acquired); "
        "release only a lock that was acquired");
  detail::mcs_release(block_, offset_ + tail_word, node);
}

bool Lock::locked() const {
  return detail::atomic_load<std::uint64_t>(block_, offset_ + tail_word) != 0;
}

namespace detail {

std::uint64_t lock_tail(const Lock& lock) {
  const Lock::State s = lock.state();
  return atomic_load<std::uint64_t>(s.block, s.offset + tail_word);
}

void lock_guard_word(const Handle& block, std::uint64_t offset) {
  wait_until([&] { return atomic_compare_swap<std::uint64_t>(block, offset, 0, 1) == 0; });
}

void unlock_guard_word(const Handle& block, std::uint64_t offset) noexcept {
  try {
    atomic_store<std::uint64_t>(block, offset, 0);
  } catch (...) {
    // A failed release here means MPI itself failed; the next access reports it.
  }
}

}  // namespace detail
}  // namespace mpp
