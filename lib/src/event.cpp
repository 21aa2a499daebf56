#include "mpp/event.hpp"

namespace mpp {
namespace {
constexpr std::uint64_t flag_bit = 1;
constexpr std::uint64_t one_set = 2;  // the set count starts at bit 1
}  // namespace

Event::Event()
    : block_(detail::heap_allocate(sizeof(std::uint64_t))), owner_(detail::own_block(block_)) {}

Event Event::from_state(const State& state) {
  detail::check_live(state.block);
  return Event(state.block);
}

void Event::set() {
  auto seen = detail::atomic_load<std::uint64_t>(block_, 0);
  while ((seen & flag_bit) == 0) {
    const auto old =
        detail::atomic_compare_swap<std::uint64_t>(block_, 0, seen, (seen | flag_bit) + one_set);
    if (old == seen) return;
    seen = old;
  }
}

void Event::clear() {
  auto seen = detail::atomic_load<std::uint64_t>(block_, 0);
  while ((seen & flag_bit) != 0) {
    const auto old = detail::atomic_compare_swap<std::uint64_t>(block_, 0, seen, seen & ~flag_bit);
    if (old == seen) return;
    seen = old;
  }
}

bool Event::is_set() const {
  return (detail::atomic_load<std::uint64_t>(block_, 0) & flag_bit) != 0;
}

bool Event::wait_until(const detail::Deadline& deadline) const {
  const auto start = detail::atomic_load<std::uint64_t>(block_, 0);
  if ((start & flag_bit) != 0) return true;
  return detail::wait_until(
      [&] {
        const auto now = detail::atomic_load<std::uint64_t>(block_, 0);
        return (now & flag_bit) != 0 || (now >> 1) != (start >> 1);
      },
      deadline);
}

}  // namespace mpp
