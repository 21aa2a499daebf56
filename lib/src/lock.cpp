#include "mpp/lock.hpp"

#include <string>

#include "mpp/errors.hpp"
#include "mpp/runtime.hpp"
#include "mpp/value.hpp"

namespace mpp {
namespace {
// The lock word holds 0 when free, else the holder's rank + 1 (for diagnostics only:
// like Python's Lock, any rank may release it).
std::uint64_t token() { return static_cast<std::uint64_t>(mpp::rank()) + 1; }
}  // namespace

Lock::Lock() : Lock(detail::heap_allocate(sizeof(std::uint64_t)), 0, nullptr) {
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
  const std::uint64_t me = token();
  auto try_once = [&] { return detail::atomic_compare_swap<std::uint64_t>(block_, offset_, 0, me) == 0; };
  if (!block) return try_once();
  return detail::wait_until(try_once, deadline);
}

void Lock::unlock() {
  if (detail::atomic_swap<std::uint64_t>(block_, offset_, 0) == 0)
    throw ValueError("Lock.release: the lock is not held; release only a lock you acquired");
}

namespace detail {

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
