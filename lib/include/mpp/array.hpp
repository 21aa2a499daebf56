#pragma once
/// @file array.hpp
/// @brief mpp::Array<T>, Python's multiprocessing.Array: n values of T in the shared heap.
///
/// A handle: copies, and copies passed to tasks on other ranks, name the same memory, freed
/// when the creating rank's last copy goes away.
/// @code
/// mpp::Array<double> a(1000, 0.0);                      // on this rank's heap, with an RLock
/// a.set(3, 1.5);  a.fetch_add(3, 1.0);                  // single elements: one atomic each
/// std::vector<double> part = a.get(100, 200);           // bulk: one RMA operation per block
/// mpp::Array<long> big(1 << 26, 0L, mpp::distributed);  // spread over every rank's heap
/// mpp::Array<int> raw(10, 0, mpp::lock = false);        // no lock, as in Python
/// @endcode
///
/// What is atomic how:
/// - T of 1, 2, 4 or 8 bytes: get(i), set(i, v) and fetch_add(i, d) are single RMA atomics;
///   bulk get(lo, hi) / set(lo, values) are one MPI_Get_accumulate / MPI_Accumulate per
///   contiguous block, atomic per element (MPI promises that among accumulate operations, not
///   for MPI_Get / MPI_Put against atomics).
/// - Bulk operations of an Array with a lock hold get_lock() (an RLock, so a caller that holds
///   it already re-enters), which makes a slice atomic with respect to other slices and to code
///   holding the lock, as Python's synchronized arrays do. Single-element operations do not
///   take it: they are atomic by themselves, and a slice may or may not see a concurrent one.
/// - Wider T: every access (single or bulk) is MPI_Get / MPI_Put under get_lock(); with
///   `mpp::lock = false` nothing makes them atomic, as with Python's lock=False.
/// - Not MPI_Win_lock: the heap stays in one MPI_Win_lock_all epoch for the whole run.
///
/// A distributed Array (`mpp::distributed`) is made by rank 0's main: block k of
/// ceil(n / ranks) elements lives on rank k, so it may exceed one rank's heap and accesses
/// spread over the ranks. Its lock and directory stay on rank 0; every copy that arrives on a
/// rank reads the directory once. Every call is local (no collective), including the
/// construction of a distributed array, which sends one allocation task to each worker.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "mpp/lock.hpp"
#include "mpp/rlock.hpp"
#include "mpp/value.hpp"

namespace mpp {

/// @brief Keyword: `mpp::Array<T>(n, init, mpp::distributed)` spreads the array over all ranks.
struct Distributed {};
inline constexpr Distributed distributed{};

namespace detail {
using Pieces = std::shared_ptr<const std::vector<Handle>>;

/// Where an Array's elements live: the home block (lock, then data or the directory of pieces).
struct ArrayStorage {
  Handle home;
  BlockOwner owner;
  Pieces pieces;
  std::uint64_t per_piece;
};
inline constexpr std::uint64_t array_data_offset = 16;  // after the RLock word and a spare word

/// Allocates an array of `n` elements of `element_size` bytes, each a copy of `init`;
/// distributed ones over every rank (rank 0 only). Local, or one task per worker if distributed.
ArrayStorage make_array(std::uint64_t n, std::size_t element_size, const void* init,
                        bool distributed);
/// The pieces of an arriving array: its home block, or the directory read from it.
Pieces array_pieces(const Handle& home, std::uint64_t n, std::uint64_t per_piece, bool distributed);
[[noreturn]] void array_index_error(const char* operation, std::uint64_t index, std::uint64_t size);
[[noreturn]] void array_range_error(const char* operation, std::uint64_t lo, std::uint64_t hi,
                                    std::uint64_t size);
}  // namespace detail

/// @brief A fixed-size array of T shared by every rank; see the file comment.
template <class T>
class Array {
  static_assert(std::is_trivially_copyable_v<T>,
                "mpp::Array<T> needs a trivially copyable T; send other types through a Queue");
  static_assert(!std::is_pointer_v<T>, "mpp::Array of pointers is meaningless on other ranks");

 public:
  struct State {
    detail::Handle home;
    std::uint64_t size;
    std::uint64_t per_piece;
    std::uint64_t flags;
  };

  /// @brief `n` copies of `init` on this rank's heap, with a lock; local.
  /// @throws mpp::MemoryError if the heap cannot hold it (every constructor; for a distributed
  /// array, if some rank's heap cannot hold its block).
  explicit Array(std::size_t n, T init = T{}) : Array(n, init, LockOption{true}) {}
  /// @brief `mpp::Array<T>(n, init, mpp::lock = false)` has no lock, as in Python.
  Array(std::size_t n, T init, LockOption option)
      : Array(detail::make_array(n, sizeof(T), &init, false), n, option.enabled, false) {}
  /// @brief Spread over every rank's heap; rank 0 only. @throws mpp::ProcessError elsewhere.
  Array(std::size_t n, T init, Distributed, LockOption option = {})
      : Array(detail::make_array(n, sizeof(T), &init, true), n, option.enabled, true) {}
  /// @brief A copy of `values` on this rank's heap; local.
  explicit Array(const std::vector<T>& values, LockOption option = {})
      : Array(values.size(), T{}, option) {
    if (!values.empty()) set(0, values);
  }

  std::size_t size() const noexcept { return static_cast<std::size_t>(size_); }
  bool is_distributed() const noexcept { return distributed_; }

  /// @brief Element `i`. @throws mpp::IndexError if i >= size().
  T get(std::size_t i) const {
    const auto [piece, off] = locate("Array.get", i);
    if constexpr (detail::WordSized<T>) {
      return std::bit_cast<T>(detail::atomic_load<word_t>(piece, off));
    } else {
      Locked g(*this);
      T value;
      detail::read_bytes(piece, off, &value, sizeof(T));
      return value;
    }
  }
  /// @brief Sets element `i`. @throws mpp::IndexError if i >= size().
  void set(std::size_t i, T value) {
    const auto [piece, off] = locate("Array.set", i);
    if constexpr (detail::WordSized<T>) {
      detail::atomic_store<word_t>(piece, off, std::bit_cast<word_t>(value));
    } else {
      Locked g(*this);
      detail::write_bytes(piece, off, &value, sizeof(T));
    }
  }
  /// @brief Atomically adds `delta` to element `i`, returns the previous value.
  T fetch_add(std::size_t i, T delta) requires std::is_arithmetic_v<T> &&
      (!std::is_same_v<T, bool>)&&detail::WordSized<T> {
    const auto [piece, off] = locate("Array.fetch_add", i);
    using Op = std::conditional_t<std::is_floating_point_v<T>, T, word_t>;
    return std::bit_cast<T>(detail::atomic_fetch_add<Op>(piece, off, std::bit_cast<Op>(delta)));
  }

  /// @brief Elements [lo, hi) (Python's a[lo:hi]). @throws mpp::IndexError unless lo <= hi <=
  /// size().
  std::vector<T> get(std::size_t lo, std::size_t hi) const {
    check_range("Array.get", lo, hi);
    std::vector<T> out(hi - lo);
    Locked g(*this);
    for_blocks(lo, hi,
               [&](const detail::Handle& piece, std::uint64_t off, std::size_t at, std::size_t n) {
                 if constexpr (detail::WordSized<T>) {
                   detail::atomic_read_words<word_t>(piece, off,
                                                     reinterpret_cast<word_t*>(out.data() + at), n);
                 } else {
                   detail::read_bytes(piece, off, out.data() + at, n * sizeof(T));
                 }
               });
    return out;
  }
  /// @brief Writes `values` from index `lo` on (Python's a[lo:lo+len] = values).
  /// @throws mpp::IndexError if they do not fit.
  void set(std::size_t lo, const std::vector<T>& values) {
    check_range("Array.set", lo, lo + values.size());
    Locked g(*this);
    for_blocks(lo, lo + values.size(),
               [&](const detail::Handle& piece, std::uint64_t off, std::size_t at, std::size_t n) {
                 if constexpr (detail::WordSized<T>) {
                   detail::atomic_write_words<word_t>(
                       piece, off, reinterpret_cast<const word_t*>(values.data() + at), n);
                 } else {
                   detail::write_bytes(piece, off, values.data() + at, n * sizeof(T));
                 }
               });
  }
  /// @brief Every element, in one RMA operation per block.
  std::vector<T> to_vector() const { return get(0, size()); }

  /// @brief The RLock that guards compound updates (`with a.get_lock():`).
  /// @throws mpp::ValueError if the Array was made with `mpp::lock = false`.
  RLock& get_lock() {
    if (!has_lock_)
      throw ValueError(
          "Array.get_lock: this Array was created with mpp::lock = false; "
          "create it with a lock or use a separate mpp::RLock");
    return lock_;
  }

  State state() const {
    return {home_, size_, per_piece_, (has_lock_ ? 1u : 0u) | (distributed_ ? 2u : 0u)};
  }
  static Array from_state(const State& s) {
    detail::check_live(s.home);
    const bool distributed = (s.flags & 2u) != 0;
    return Array(
        detail::ArrayStorage{s.home, nullptr,
                             detail::array_pieces(s.home, s.size, s.per_piece, distributed),
                             s.per_piece},
        s.size, (s.flags & 1u) != 0, distributed);
  }

 private:
  using word_t = typename detail::uint_of_size<detail::WordSized<T> ? sizeof(T) : 8>::type;

  Array(detail::ArrayStorage storage, std::uint64_t n, bool has_lock, bool distributed)
      : home_(storage.home),
        owner_(std::move(storage.owner)),
        pieces_(std::move(storage.pieces)),
        per_piece_(storage.per_piece),
        size_(n),
        has_lock_(has_lock),
        distributed_(distributed),
        lock_(RLock::at(home_, 0, owner_)) {}

  // Holds the lock for one access, if the array has one (re-entered if the caller holds it).
  struct Locked {
    explicit Locked(const Array& a) : array(a) {
      if (array.has_lock_) array.lock_.lock();
    }
    ~Locked() {
      if (array.has_lock_) array.lock_.unlock();
    }
    const Array& array;
  };

  std::uint64_t base() const noexcept { return distributed_ ? 0 : detail::array_data_offset; }

  std::pair<const detail::Handle&, std::uint64_t> locate(const char* operation,
                                                         std::size_t i) const {
    if (i >= size_) detail::array_index_error(operation, i, size_);
    return {(*pieces_)[i / per_piece_], base() + (i % per_piece_) * sizeof(T)};
  }
  void check_range(const char* operation, std::size_t lo, std::size_t hi) const {
    if (lo > hi || hi > size_) detail::array_range_error(operation, lo, hi, size_);
  }
  // Calls block(piece, byte offset, first index - lo, count) for each contiguous run.
  template <class Block>
  void for_blocks(std::size_t lo, std::size_t hi, Block block) const {
    for (std::size_t i = lo; i < hi;) {
      const std::size_t end = std::min<std::size_t>(hi, (i / per_piece_ + 1) * per_piece_);
      block((*pieces_)[i / per_piece_], base() + (i % per_piece_) * sizeof(T), i - lo, end - i);
      i = end;
    }
  }

  detail::Handle home_;
  detail::BlockOwner owner_;
  detail::Pieces pieces_;
  std::uint64_t per_piece_ = 1;
  std::uint64_t size_ = 0;
  bool has_lock_ = true;
  bool distributed_ = false;
  mutable RLock lock_;
};

}  // namespace mpp
