#pragma once
// The byte ring under Queue, SimpleQueue, JoinableQueue and Pipe: a multi-producer,
// multi-consumer queue of variable-sized records in one heap block, with no rank serving it.
// Producers reserve bytes with compare-and-swap and publish a record with a stamp; consumers
// claim records the same way and hand the space back in order (BCL's CircularQueue, with a
// reserved and a committed counter on each side). Defined in lib/src/ring.cpp.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/codec.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp::detail {

/// Who uses a ring: a pipe raises EOFError when drained and closed; a joinable queue counts
/// unfinished items.
enum class RingUse : std::uint64_t { queue, joinable_queue, pipe };

/// What a ring handle carries to other ranks.
struct RingState {
  Handle block;
  std::uint64_t capacity;  // bytes of record space
  std::uint64_t maxsize;   // items, 0 = no limit but the bytes
  RingUse use;
};

/// A hint that may be stale but never wrong to use: every use is checked by an atomic.
/// Relaxed atomics, so that threads sharing one handle race benignly.
class Hint {
 public:
  Hint() = default;
  Hint(const Hint& other) : value_(other.get()) {}
  Hint& operator=(const Hint& other) {
    set(other.get());
    return *this;
  }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }
  void set(std::uint64_t v) { value_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Bytes in front of every record's payload: its length.
inline constexpr std::size_t ring_record_header = 8;

class Ring {
 public:
  /// Allocates a ring of `capacity` bytes (rounded up to 16) on this rank's heap.
  /// @throws mpp::ValueError for a capacity below 64 bytes, mpp::MemoryError if it does not fit.
  static Ring create(std::uint64_t capacity, std::uint64_t maxsize, RingUse use);
  /// A ring that arrived from another rank. @throws mpp::Error if it was freed.
  static Ring attach(const RingState& state);

  RingState state() const { return state_; }
  std::uint64_t capacity() const { return state_.capacity; }
  std::uint64_t maxsize() const { return state_.maxsize; }

  /// Appends `record`, whose first ring_record_header bytes are scratch for the length.
  /// Waits for room until `deadline` when `block`. @throws mpp::Full when there is no room in
  /// time, mpp::ValueError when the ring is closed or the record can never fit.
  void put(Bytes& record, bool block, const Deadline& deadline, const char* op);
  /// Takes the oldest record's payload into `payload`. @throws mpp::Empty when nothing came in
  /// time, mpp::EOFError (pipe) or mpp::ValueError (queue) when it is closed and drained.
  void get(Bytes& payload, bool block, const Deadline& deadline, const char* op);
  /// True when a record can be taken now, or the ring is closed and drained (get would raise).
  bool poll(const Deadline& deadline);

  /// Items put and not yet taken, counting puts in progress (Python's qsize: approximate).
  std::uint64_t size() const;
  /// No more puts: later ones raise; what is in the ring can still be taken.
  void close();
  bool closed() const;
  /// The reading end went away (Pipe): puts raise rather than fill a ring nobody reads.
  void close_reader();

  // JoinableQueue's count of items put and not yet marked done.
  void task_done(const char* op);
  bool join(const Deadline& deadline) const;

 private:
  explicit Ring(const RingState& state) : state_(state) {}

  void take_item_slot(bool block, const Deadline& deadline, const char* op);
  std::uint64_t reserve(std::uint64_t bytes, bool block, const Deadline& deadline, const char* op);
  void copy_in(std::uint64_t position, const char* src, std::uint64_t n);
  void copy_out(std::uint64_t position, char* dst, std::uint64_t n) const;
  bool published(std::uint64_t position) const;
  bool try_take(std::uint64_t position, Bytes& payload);
  enum class Oldest { complete, pending, drained };
  Oldest look(std::uint64_t& position) const;
  void refuse_put_if_closed(std::uint64_t count, const char* op) const;
  [[noreturn]] void raise_drained(const char* op) const;
  void release_item_slot();
  void add_unfinished(std::int64_t delta);

  RingState state_;
  Hint tail_;       // where this handle expects the next reservation
  Hint head_seen_;  // the committed head last read: room known to be free
  mutable Hint next_;  // where this handle expects the next record to take
};

}  // namespace mpp::detail
