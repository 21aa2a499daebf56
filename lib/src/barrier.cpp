#include "mpp/barrier.hpp"

#include <string>

#include "mpp/errors.hpp"

namespace mpp {
namespace {

using Word = std::uint64_t;

// Python's barrier states; the word is [state: bits 62-63][count: bits 0-31].
enum Phase : Word { filling = 0, draining = 1, resetting = 2, broken_phase = 3 };

Phase phase_of(Word w) { return static_cast<Phase>(w >> 62); }
Word count_of(Word w) { return w & 0xffffffffu; }
Word make(Phase phase, Word count) { return static_cast<Word>(phase) << 62 | count; }

// Applies `change` to the word with a compare-and-swap loop; returns the word it replaced.
template <class Change>
Word update(const detail::Handle& block, Change change) {
  Word seen = detail::atomic_load<Word>(block, 0);
  for (;;) {
    const Word old = detail::atomic_compare_swap<Word>(block, 0, seen, change(seen));
    if (old == seen) return old;
    seen = old;
  }
}

[[noreturn]] void raise_broken(const char* why) {
  throw BrokenBarrierError(std::string("Barrier.wait: ") + why);
}

}  // namespace

Barrier::Barrier(int parties, Action action, std::int64_t timeout_ns)
    : parties_(parties), timeout_ns_(timeout_ns) {
  if (parties < 1)
    throw ValueError("Barrier: parties must be at least 1, got " + std::to_string(parties));
  if (action != nullptr) action_ = detail::function_id(reinterpret_cast<std::uintptr_t>(action));
  block_ = detail::heap_allocate(sizeof(Word));
  owner_ = detail::own_block(block_);
}

Barrier::Barrier(const State& state)
    : block_(state.block), parties_(state.parties), timeout_ns_(state.timeout_ns) {
  if (state.has_action != 0) action_ = state.action;
}

Barrier::State Barrier::state() const {
  return {block_, parties_, timeout_ns_, action_ ? 1u : 0u, action_.value_or(detail::FnId{})};
}

Barrier Barrier::from_state(const State& state) {
  detail::check_live(state.block);
  return Barrier(state);
}

int Barrier::wait() {
  if (timeout_ns_ < 0) return wait_until(detail::Deadline{});
  return wait_until(detail::Deadline(std::chrono::nanoseconds(timeout_ns_)));
}

int Barrier::wait_until(const detail::Deadline& deadline) {
  const auto parties = static_cast<Word>(parties_);
  // Enter: count this thread in, once the barrier is filling and not yet full (a full one is
  // being released: its action runs, or its waiters have not all left).
  Word seen = detail::atomic_load<Word>(block_, 0);
  for (;;) {
    const Phase phase = phase_of(seen);
    if (phase == broken_phase) raise_broken("the barrier is broken; reset() it to use it again");
    if (phase != filling || count_of(seen) >= parties) {
      const bool entered = detail::wait_until(
          [&] {
            seen = detail::atomic_load<Word>(block_, 0);
            return phase_of(seen) == broken_phase ||
                   (phase_of(seen) == filling && count_of(seen) < parties);
          },
          deadline);
      if (!entered) {
        abort();
        raise_broken("timed out waiting to enter (the barrier is now broken)");
      }
      continue;
    }
    const Word old = detail::atomic_compare_swap<Word>(block_, 0, seen, seen + 1);
    if (old == seen) break;
    seen = old;
  }
  const int index = static_cast<int>(count_of(seen));

  struct Leave {
    Barrier* barrier;
    ~Leave() { barrier->leave(); }
  } leave_on_exit{this};

  if (static_cast<Word>(index) + 1 == parties) {
    run_action();
    const Word before = update(
        block_, [](Word w) { return phase_of(w) == filling ? make(draining, count_of(w)) : w; });
    if (phase_of(before) != filling)
      raise_broken("the barrier was broken or reset while its action ran");
    return index;
  }
  if (!detail::wait_until(
          [&] { return phase_of(seen = detail::atomic_load<Word>(block_, 0)) != filling; },
          deadline)) {
    abort();
    raise_broken("timed out (the barrier is now broken for every waiter)");
  }
  if (phase_of(seen) != draining)
    raise_broken(phase_of(seen) == resetting ? "the barrier was reset while waiting"
                                             : "the barrier was broken while waiting");
  return index;
}

void Barrier::run_action() {
  if (!action_) return;
  try {
    reinterpret_cast<Action>(detail::function_address(*action_))();
  } catch (...) {
    abort();  // the others raise BrokenBarrierError; this caller gets the action's exception
    throw;
  }
}

void Barrier::leave() {
  try {
    update(block_, [](Word w) {
      const Word count = count_of(w) - 1;
      Phase phase = phase_of(w);
      if (count == 0 && (phase == draining || phase == resetting)) phase = filling;
      return make(phase, count);
    });
  } catch (...) {
    // Only a failing MPI gets here; the next access to the barrier reports it.
  }
}

void Barrier::reset() {
  update(block_, [](Word w) {
    const Phase phase = phase_of(w);
    if (count_of(w) == 0) return make(filling, 0);
    if (phase == filling || phase == broken_phase) return make(resetting, count_of(w));
    return w;
  });
}

void Barrier::abort() {
  update(block_, [](Word w) { return make(broken_phase, count_of(w)); });
}

bool Barrier::broken() const {
  return phase_of(detail::atomic_load<Word>(block_, 0)) == broken_phase;
}

int Barrier::n_waiting() const {
  const Word w = detail::atomic_load<Word>(block_, 0);
  return phase_of(w) == filling ? static_cast<int>(count_of(w)) : 0;
}

}  // namespace mpp
