#pragma once
/// @file queue.hpp
/// @brief mpp::Queue<T>, mpp::SimpleQueue<T> and mpp::JoinableQueue<T>: Python's
/// multiprocessing queues, as rings in RMA memory that any rank puts to and gets from.
///
/// @code
/// mpp::Queue<std::optional<int>> q;               // unbounded (up to its byte capacity)
/// mpp::Process producer(produce, q);  producer.start();
/// while (auto item = q.get()) use(*item);         // std::nullopt is the sentinel
/// mpp::Queue<std::string> small(10, mpp::capacity = 1 << 16);  // maxsize 10 items, 64 KiB
/// try { small.get(std::chrono::seconds(1)); } catch (const mpp::Empty&) { ... }
/// @endcode
///
/// A handle, like Value: copies, and copies passed to tasks, queues or pipes, name the same
/// ring; its memory lives on the rank that created it until that rank's last copy goes away.
/// Any number of producers and consumers on any ranks and hosts; each producer's items come
/// out in the order it put them. No rank serves the queue: a put is a compare-and-swap that
/// reserves room, a copy of the item and a stamp that publishes it; a get is the reverse.
///
/// Items are any type the codec handles: trivially copyable ones are copied as bytes, others
/// through Boost.Serialization, shared objects as their handle.
///
/// Differences from Python, and why:
/// - The ring has a fixed byte capacity (mpp::capacity, default 1 MiB): it lives in a heap
///   block that cannot grow. A put waits for room when it is full even if maxsize is 0, and an
///   item that can never fit raises mpp::ValueError giving both sizes.
/// - put() returns once the item is in the queue (no feeder thread), so there is nothing to
///   flush and no join_thread() / cancel_join_thread().
/// - close() is for every handle of the queue, not only the calling process's: later puts
///   anywhere raise mpp::ValueError; items already in it can still be taken; a get on a closed,
///   empty queue raises mpp::ValueError at once instead of waiting for ever.
/// - qsize() counts puts in progress too; like Python's it is only a hint.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "mpp/detail/codec.hpp"
#include "mpp/detail/ring.hpp"
#include "mpp/errors.hpp"

namespace mpp {

/// @brief The value of the `mpp::capacity = bytes` keyword argument of queues and pipes.
struct CapacityOption {
  std::uint64_t bytes = std::uint64_t{1} << 20;
};
/// @brief Keyword: `mpp::Queue<int> q(0, mpp::capacity = 1 << 24);` gives a 16 MiB ring.
struct CapacityKeyword {
  constexpr CapacityOption operator=(std::uint64_t bytes) const noexcept { return {bytes}; }
};
inline constexpr CapacityKeyword capacity{};

namespace detail {
/// A record for Ring::put: header scratch, then the encoded item. One buffer per thread, so
/// that a put allocates nothing once warm.
template <class T>
Bytes& encode_record(const T& item) {
  thread_local Bytes record;
  record.resize(ring_record_header);
  encode(record, item);
  return record;
}

template <class T>
T decode_payload(const Bytes& payload) {
  Reader in(payload);
  return decode<T>(in);
}

inline Bytes& payload_buffer() {
  thread_local Bytes payload;
  return payload;
}
}  // namespace detail

/// @brief A FIFO queue shared by every rank; see the file comment.
template <class T>
class Queue {
 public:
  using State = detail::RingState;

  /// @brief An empty queue on this rank's heap; local. maxsize 0 means no item limit.
  /// @throws mpp::ValueError for a capacity below 64 bytes, mpp::MemoryError if the heap is full.
  explicit Queue(std::size_t maxsize = 0, CapacityOption capacity = {})
      : Queue(detail::Ring::create(capacity.bytes, maxsize, detail::RingUse::queue), true) {}

  /// @brief Puts `item`, waiting for room as long as it takes.
  /// @throws mpp::ValueError if the queue is closed or the item can never fit.
  void put(const T& item) { put_until(item, true, {}); }
  /// @brief Python's put(item, block): without `block`, mpp::Full at once if there is no room.
  void put(const T& item, bool block) { put_until(item, block, {}); }
  /// @brief Waits at most `timeout` for room. @throws mpp::Full after it.
  template <class Rep, class Period>
  void put(const T& item, std::chrono::duration<Rep, Period> timeout) {
    put_until(item, true, detail::Deadline(timeout));
  }
  /// @brief Python's put(item, block, timeout); the timeout counts only when `block`.
  template <class Rep, class Period>
  void put(const T& item, bool block, std::chrono::duration<Rep, Period> timeout) {
    put_until(item, block, detail::Deadline(timeout));
  }
  /// @brief put(item, false). @throws mpp::Full if there is no room.
  void put_nowait(const T& item) { put_until(item, false, {}); }

  /// @brief Takes the oldest item, waiting as long as it takes.
  /// @throws mpp::ValueError if the queue is closed and empty.
  T get() { return get_until(true, {}); }
  /// @brief Python's get(block): without `block`, mpp::Empty at once if there is nothing.
  T get(bool block) { return get_until(block, {}); }
  /// @brief Waits at most `timeout`. @throws mpp::Empty after it.
  template <class Rep, class Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    return get_until(true, detail::Deadline(timeout));
  }
  /// @brief Python's get(block, timeout); the timeout counts only when `block`.
  template <class Rep, class Period>
  T get(bool block, std::chrono::duration<Rep, Period> timeout) {
    return get_until(block, detail::Deadline(timeout));
  }
  /// @brief get(false). @throws mpp::Empty if there is nothing.
  T get_nowait() { return get_until(false, {}); }

  /// @brief Items in the queue (approximate, as in Python).
  std::size_t qsize() const { return static_cast<std::size_t>(ring_.size()); }
  bool empty() const { return qsize() == 0; }
  /// @brief True when maxsize items are in it (never for maxsize 0, as in Python).
  bool full() const { return ring_.maxsize() != 0 && qsize() >= ring_.maxsize(); }
  std::size_t maxsize() const { return static_cast<std::size_t>(ring_.maxsize()); }
  /// @brief Bytes of item space (each item takes its size plus 8, rounded up to 16).
  std::size_t capacity_bytes() const { return static_cast<std::size_t>(ring_.capacity()); }

  /// @brief No more puts, from any handle; what is in the queue can still be taken.
  void close() { ring_.close(); }
  bool closed() const { return ring_.closed(); }

  State state() const { return ring_.state(); }
  static Queue from_state(const State& state) { return Queue(detail::Ring::attach(state), false); }

 protected:
  // The creating rank's copies own the block; copies that arrived from elsewhere do not.
  Queue(detail::Ring ring, bool owns)
      : ring_(std::move(ring)), owner_(owns ? detail::own_block(ring_.state().block) : nullptr) {}

  void put_until(const T& item, bool block, const detail::Deadline& deadline) {
    ring_.put(detail::encode_record(item), block, deadline, "Queue.put");
  }
  T get_until(bool block, const detail::Deadline& deadline) {
    auto& payload = detail::payload_buffer();
    ring_.get(payload, block, deadline, "Queue.get");
    return detail::decode_payload<T>(payload);
  }

  detail::Ring ring_;
  detail::BlockOwner owner_;
};

/// @brief Python's SimpleQueue: put, get, empty and close, without maxsize or timeouts.
template <class T>
class SimpleQueue {
 public:
  using State = detail::RingState;

  explicit SimpleQueue(CapacityOption capacity = {}) : queue_(0, capacity) {}
  void put(const T& item) { queue_.put(item); }
  T get() { return queue_.get(); }
  /// @brief mpp addition: every blocking call has a timeout form. @throws mpp::Empty.
  template <class Rep, class Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    return queue_.get(timeout);
  }
  bool empty() const { return queue_.empty(); }
  void close() { queue_.close(); }

  State state() const { return queue_.state(); }
  static SimpleQueue from_state(const State& state) {
    return SimpleQueue(Queue<T>::from_state(state));
  }

 private:
  explicit SimpleQueue(Queue<T> queue) : queue_(std::move(queue)) {}
  Queue<T> queue_;
};

/// @brief Python's JoinableQueue: a Queue that counts items not yet marked done.
/// @code
/// mpp::JoinableQueue<int> jobs;
/// // worker: for (;;) { auto j = jobs.get(); work(j); jobs.task_done(); }
/// for (int j : todo) jobs.put(j);
/// jobs.join();                      // returns when every item was marked done
/// @endcode
template <class T>
class JoinableQueue : public Queue<T> {
 public:
  explicit JoinableQueue(std::size_t maxsize = 0, CapacityOption capacity = {})
      : Queue<T>(detail::Ring::create(capacity.bytes, maxsize, detail::RingUse::joinable_queue),
                 true) {}

  /// @brief Marks one item taken by get() as done.
  /// @throws mpp::ValueError if called more times than items were put.
  void task_done() { this->ring_.task_done("JoinableQueue.task_done"); }
  /// @brief Waits until every item put was marked done.
  void join() { this->ring_.join({}); }
  /// @brief Waits at most `timeout`; false if items were still not done.
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return this->ring_.join(detail::Deadline(timeout));
  }

  static JoinableQueue from_state(const detail::RingState& state) {
    return JoinableQueue(detail::Ring::attach(state));
  }

 private:
  explicit JoinableQueue(detail::Ring ring) : Queue<T>(std::move(ring), false) {}
};

}  // namespace mpp
