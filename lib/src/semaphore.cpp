#include "mpp/semaphore.hpp"

#include <string>

#include "mpp/errors.hpp"

namespace mpp {

Semaphore::Semaphore(std::int64_t value, std::int64_t bound) : bound_(bound) {
  if (value < 0)
    throw ValueError("Semaphore: initial value must be >= 0, got " + std::to_string(value));
  block_ = detail::heap_allocate(sizeof(std::uint64_t));
  owner_ = detail::own_block(block_);
  detail::atomic_store<std::uint64_t>(block_, 0, static_cast<std::uint64_t>(value));
}

Semaphore Semaphore::from_state(const State& state) {
  detail::check_live(state.block);
  return Semaphore(state.block, state.bound);
}

BoundedSemaphore BoundedSemaphore::from_state(const State& state) {
  detail::check_live(state.block);
  return BoundedSemaphore(state);
}

bool Semaphore::acquire_until(bool block, const detail::Deadline& deadline) {
  auto take_one = [this] {
    auto seen = detail::atomic_load<std::uint64_t>(block_, 0);
    while (static_cast<std::int64_t>(seen) > 0) {
      const auto old = detail::atomic_compare_swap<std::uint64_t>(block_, 0, seen, seen - 1);
      if (old == seen) return true;
      seen = old;  // another rank got there first: try again with what it left
    }
    return false;
  };
  if (!block) return take_one();
  return detail::wait_until(take_one, deadline);
}

void Semaphore::release(std::int64_t n) {
  if (n < 1) throw ValueError("Semaphore.release: n must be >= 1, got " + std::to_string(n));
  if (bound_ < 0) {
    detail::atomic_fetch_add<std::uint64_t>(block_, 0, static_cast<std::uint64_t>(n));
    return;
  }
  auto seen = detail::atomic_load<std::uint64_t>(block_, 0);
  for (;;) {
    const auto value = static_cast<std::int64_t>(seen);
    if (value + n > bound_)
      throw ValueError("BoundedSemaphore.release: semaphore released too many times (value " +
                       std::to_string(value) + " + " + std::to_string(n) + " would exceed " +
                       std::to_string(bound_) + ")");
    const auto old = detail::atomic_compare_swap<std::uint64_t>(
        block_, 0, seen, seen + static_cast<std::uint64_t>(n));
    if (old == seen) return;
    seen = old;
  }
}

std::int64_t Semaphore::get_value() const {
  return static_cast<std::int64_t>(detail::atomic_load<std::uint64_t>(block_, 0));
}

}  // namespace mpp
