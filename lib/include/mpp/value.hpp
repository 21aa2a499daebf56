#pragma once
/// @file value.hpp
/// @brief mpp::Value<T>, Python's multiprocessing.Value: one T in the shared heap.
///
/// A handle: copies, and copies passed to tasks on other ranks, name the same memory. The
/// rank that created it owns the memory; it is freed when that rank's last copy goes away.
/// @code
/// mpp::Value<long> counter(0);
/// counter.fetch_add(5);                                   // atomic, from any rank
/// { std::lock_guard g(counter.get_lock()); counter.store(counter.load() + 1); }
/// mpp::Value<double> raw(0.0, mpp::lock = false);         // no lock, as in Python
/// @endcode
/// T is trivially copyable. Values of 1, 2, 4 or 8 bytes are read and written with single
/// RMA atomics; wider values take a private guard word of the object (not get_lock()), so
/// load() and store() stay atomic without deadlocking a caller that holds get_lock(). Not an
/// exclusive MPI_Win_lock epoch: mpp's heap stays in one MPI_Win_lock_all epoch for the whole
/// run, inside which MPI forbids MPI_Win_lock on the same window.
///
/// get_lock() is an mpp::RLock (as in Python), a FIFO queue lock: `with v.get_lock():`
/// becomes `std::lock_guard g(v.get_lock());`.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "mpp/lock.hpp"
#include "mpp/rlock.hpp"

namespace mpp {

namespace detail {
template <std::size_t N> struct uint_of_size;
template <> struct uint_of_size<1> { using type = std::uint8_t; };
template <> struct uint_of_size<2> { using type = std::uint16_t; };
template <> struct uint_of_size<4> { using type = std::uint32_t; };
template <> struct uint_of_size<8> { using type = std::uint64_t; };

template <class T>
concept WordSized = sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;

// Take the word-sized guard of a wide Value for the duration of one access.
void lock_guard_word(const Handle& block, std::uint64_t offset);
void unlock_guard_word(const Handle& block, std::uint64_t offset) noexcept;
}  // namespace detail

/// @brief A T shared by every rank; see the file comment.
template <class T>
class Value {
  static_assert(std::is_trivially_copyable_v<T>,
                "mpp::Value<T> needs a trivially copyable T; send other types through a Queue");
  static_assert(!std::is_pointer_v<T>, "mpp::Value of a pointer is meaningless on other ranks");

 public:
  /// Layout of the block: RLock word, guard word, then the value.
  static constexpr std::uint64_t lock_offset = 0, guard_offset = 8, value_offset = 16;

  struct State {
    detail::Handle block;
    std::uint64_t has_lock;
  };

  /// @brief Creates a Value on this rank's heap holding `init`, with a lock; local.
  explicit Value(T init = T{}) : Value(init, LockOption{true}) {}
  /// @brief `mpp::Value<T>(init, mpp::lock = false)` has no lock, as in Python.
  Value(T init, LockOption option)
      : block_(detail::heap_allocate(value_offset + sizeof(T))),
        owner_(detail::own_block(block_)),
        lock_(RLock::at(block_, lock_offset, owner_)),
        has_lock_(option.enabled) {
    store(init);
  }

  /// @brief Atomic read.
  T load() const {
    if constexpr (detail::WordSized<T>) {
      return std::bit_cast<T>(detail::atomic_load<word_t>(block_, value_offset));
    } else {
      Guard g(block_);
      T value;
      detail::read_bytes(block_, value_offset, &value, sizeof(T));
      return value;
    }
  }

  /// @brief Atomic write.
  void store(T value) {
    if constexpr (detail::WordSized<T>) {
      detail::atomic_store<word_t>(block_, value_offset, std::bit_cast<word_t>(value));
    } else {
      Guard g(block_);
      detail::write_bytes(block_, value_offset, &value, sizeof(T));
    }
  }

  /// @brief Atomically adds `delta` and returns the previous value (integers, float, double).
  T fetch_add(T delta)
    requires std::is_arithmetic_v<T> && (!std::is_same_v<T, bool>) && detail::WordSized<T>
  {
    // Two's complement addition is the same for signed and unsigned bit patterns.
    using Op = std::conditional_t<std::is_floating_point_v<T>, T, word_t>;
    return std::bit_cast<T>(
        detail::atomic_fetch_add<Op>(block_, value_offset, std::bit_cast<Op>(delta)));
  }

  /// @brief Atomically replaces the value and returns the previous one.
  T exchange(T value) {
    if constexpr (detail::WordSized<T>) {
      return std::bit_cast<T>(
          detail::atomic_swap<word_t>(block_, value_offset, std::bit_cast<word_t>(value)));
    } else {
      Guard g(block_);
      T old;
      detail::read_bytes(block_, value_offset, &old, sizeof(T));
      detail::write_bytes(block_, value_offset, &value, sizeof(T));
      return old;
    }
  }

  /// @brief If the value equals `expected` (bitwise), replaces it with `desired` and returns
  /// true; otherwise loads the current value into `expected` and returns false.
  bool compare_exchange(T& expected, T desired) {
    if constexpr (detail::WordSized<T>) {
      const auto want = std::bit_cast<word_t>(expected);
      const auto old = detail::atomic_compare_swap<word_t>(block_, value_offset, want,
                                                           std::bit_cast<word_t>(desired));
      if (old == want) return true;
      expected = std::bit_cast<T>(old);
      return false;
    } else {
      Guard g(block_);
      T current;
      detail::read_bytes(block_, value_offset, &current, sizeof(T));
      if (std::memcmp(&current, &expected, sizeof(T)) != 0) {
        expected = current;
        return false;
      }
      detail::write_bytes(block_, value_offset, &desired, sizeof(T));
      return true;
    }
  }

  /// @brief The re-entrant lock that guards compound updates (`with v.get_lock():` in Python).
  /// @throws mpp::ValueError if the Value was made with `mpp::lock = false`.
  RLock& get_lock() {
    if (!has_lock_)
      throw ValueError("Value.get_lock: this Value was created with mpp::lock = false; "
                       "create it with a lock or use a separate mpp::Lock");
    return lock_;
  }

  State state() const { return {block_, has_lock_ ? 1u : 0u}; }
  static Value from_state(const State& state) {
    detail::check_live(state.block);
    return Value(state.block, state.has_lock != 0);
  }

 private:
  using word_t = typename detail::uint_of_size<detail::WordSized<T> ? sizeof(T) : 8>::type;

  Value(const detail::Handle& block, bool has_lock)
      : block_(block), lock_(RLock::at(block_, lock_offset, nullptr)), has_lock_(has_lock) {}

  struct Guard {
    explicit Guard(const detail::Handle& block) : block_(block) {
      detail::lock_guard_word(block_, guard_offset);
    }
    ~Guard() { detail::unlock_guard_word(block_, guard_offset); }
    const detail::Handle& block_;
  };

  detail::Handle block_;
  detail::BlockOwner owner_;
  RLock lock_;
  bool has_lock_ = true;
};

}  // namespace mpp
