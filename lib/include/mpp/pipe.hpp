#pragma once
/// @file pipe.hpp
/// @brief mpp::Pipe<T>() and mpp::Connection<T>, Python's multiprocessing.Pipe: two ends
/// that send items to each other.
///
/// @code
/// auto [parent, child] = mpp::Pipe<std::string>();
/// mpp::Process p(greet, child);  p.start();       // greet: child.send("hello"); child.close();
/// std::string s = parent.recv();                  // "hello"
/// parent.recv();                                  // mpp::EOFError: child closed, nothing left
/// auto [reader, writer] = mpp::Pipe<int>(false);  // one way: writer.send, reader.recv
/// @endcode
///
/// Each direction is one byte ring in RMA memory (as mpp::Queue), on the rank that called
/// Pipe(); the ends are handles that can be passed to Process and Pool tasks and through
/// queues. Differences from Python, and why:
/// - close() closes that end for every handle of it, not only the calling process's copy: a
///   rank cannot know how many copies other ranks hold. So close an end once, where its last
///   user is done with it (the sender, typically); do not close a parent's copy of a child's
///   end after starting the child, as Python programs sometimes do.
/// - send() into a full ring (mpp::capacity, default 1 MiB) waits for the reader; every
///   blocking call has a timeout form raising mpp::TimeoutError.
/// - Sending to an end whose reader closed raises mpp::ValueError (Python: BrokenPipeError).

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "mpp/queue.hpp"

namespace mpp {

/// @brief One end of a Pipe; see the file comment.
template <class T>
class Connection {
 public:
  /// The ring each direction uses; an absent direction has an invalid block.
  struct State {
    detail::RingState in, out;
  };

  /// @brief Sends `item` to the other end, waiting for room as long as it takes.
  /// @throws mpp::ValueError if this end cannot send (one-way pipe, closed, reader closed).
  void send(const T& item) { send_until(item, {}); }
  /// @brief Waits at most `timeout` for room. @throws mpp::TimeoutError after it.
  template <class Rep, class Period>
  void send(const T& item, std::chrono::duration<Rep, Period> timeout) {
    send_until(item, detail::Deadline(timeout));
  }

  /// @brief The next item sent by the other end, waiting as long as it takes.
  /// @throws mpp::EOFError if the other end was closed and nothing is left;
  /// mpp::ValueError if this end cannot receive.
  T recv() { return recv_until({}); }
  /// @brief Waits at most `timeout`. @throws mpp::TimeoutError after it.
  template <class Rep, class Period>
  T recv(std::chrono::duration<Rep, Period> timeout) {
    return recv_until(detail::Deadline(timeout));
  }

  /// @brief True if recv() would not wait (an item is there, or it would raise EOFError).
  bool poll() { return reading("Connection.poll").poll(detail::Deadline(std::chrono::seconds(0))); }
  /// @brief Waits at most `timeout` for poll() to become true.
  template <class Rep, class Period>
  bool poll(std::chrono::duration<Rep, Period> timeout) {
    return reading("Connection.poll").poll(detail::Deadline(timeout));
  }

  /// @brief Closes this end (for every handle of it): the other end's recv() raises
  /// mpp::EOFError once it took what was sent, and its send() raises mpp::ValueError.
  void close() {
    if (out_) out_->close();
    if (in_) in_->close_reader();
    closed_ = true;
  }
  bool readable() const noexcept { return in_.has_value(); }
  bool writable() const noexcept { return out_.has_value(); }

  State state() const {
    return {in_ ? in_->state() : detail::RingState{}, out_ ? out_->state() : detail::RingState{}};
  }
  static Connection from_state(const State& state) {
    return Connection(attach(state.in), attach(state.out), nullptr);
  }

 private:
  template <class U>
  friend std::pair<Connection<U>, Connection<U>> Pipe(bool, CapacityOption);

  Connection(std::optional<detail::Ring> in, std::optional<detail::Ring> out,
             std::shared_ptr<void> owners)
      : in_(std::move(in)), out_(std::move(out)), owners_(std::move(owners)) {}

  static std::optional<detail::Ring> attach(const detail::RingState& state) {
    if (!state.block.valid()) return std::nullopt;
    return detail::Ring::attach(state);
  }

  detail::Ring& reading(const char* op) {
    if (closed_) throw ValueError(std::string(op) + ": this end was closed");
    if (!in_) throw ValueError(std::string(op) + ": this end of a one-way Pipe only sends");
    return *in_;
  }
  detail::Ring& writing(const char* op) {
    if (closed_) throw ValueError(std::string(op) + ": this end was closed");
    if (!out_)
      throw ValueError(std::string(op) + ": this end of a one-way Pipe only receives; send "
                                         "through the other end (the second of the pair)");
    return *out_;
  }

  void send_until(const T& item, const detail::Deadline& deadline) {
    try {
      writing("Connection.send").put(detail::encode_record(item), true, deadline, "Connection.send");
    } catch (const Full& e) {
      throw TimeoutError(e.what());
    }
  }
  T recv_until(const detail::Deadline& deadline) {
    auto& payload = detail::payload_buffer();
    try {
      reading("Connection.recv").get(payload, true, deadline, "Connection.recv");
    } catch (const Empty& e) {
      throw TimeoutError(e.what());
    }
    return detail::decode_payload<T>(payload);
  }

  std::optional<detail::Ring> in_, out_;
  std::shared_ptr<void> owners_;  // the rings' blocks, on the rank that made the pipe
  bool closed_ = false;
};

/// @brief Python's Pipe(duplex): two connected ends. With `duplex` false the first end only
/// receives and the second only sends, as in Python. Local; the rings live on this rank.
/// @throws mpp::ValueError for a capacity below 64 bytes, mpp::MemoryError if the heap is full.
template <class T>
std::pair<Connection<T>, Connection<T>> Pipe(bool duplex = true, CapacityOption capacity = {}) {
  using detail::Ring;
  const Ring forward = Ring::create(capacity.bytes, 0, detail::RingUse::pipe);  // to the first end
  std::optional<Ring> backward;
  if (duplex) backward = Ring::create(capacity.bytes, 0, detail::RingUse::pipe);
  auto owners = std::make_shared<std::pair<detail::BlockOwner, detail::BlockOwner>>(
      detail::own_block(forward.state().block),
      backward ? detail::own_block(backward->state().block) : nullptr);
  return {Connection<T>(forward, backward, owners), Connection<T>(backward, forward, owners)};
}

}  // namespace mpp
