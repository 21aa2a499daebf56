#pragma once
/// @file remote.hpp
/// @brief Running one function on a chosen rank: the primitive under Process and Pool.
///
/// Any free function, captureless lambda or mpp::partial can run on another rank, with
/// arguments and a result of any type Boost.Serialization can write; trivially copyable
/// types travel bit for bit. Shared objects (Value, Lock, ...) travel as handles.
/// @code
/// long add(mpp::Value<long> total, long n) { for (long i = 0; i < n; ++i) total.fetch_add(1); return n; }
/// mpp::Value<long> total(0);
/// auto call = mpp::submit_to(1, add, total, 1000);   // runs on rank 1
/// call.get();                                         // 1000; total.load() == 1000
/// @endcode

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "mpp/detail/dispatch.hpp"
#include "mpp/detail/task.hpp"
#include "mpp/errors.hpp"

namespace mpp {

/// @brief The pending result of a task sent with submit_to(); move-only, local.
template <class R>
class RemoteCall {
 public:
  explicit RemoteCall(std::uint64_t ticket) : ticket_(ticket) {}
  RemoteCall(RemoteCall&& other) noexcept : ticket_(std::exchange(other.ticket_, 0)),
                                            value_(std::move(other.value_)),
                                            error_(std::move(other.error_)) {}
  RemoteCall& operator=(RemoteCall&& other) noexcept {
    if (this != &other) {
      release();
      ticket_ = std::exchange(other.ticket_, 0);
      value_ = std::move(other.value_);
      error_ = std::move(other.error_);
    }
    return *this;
  }
  RemoteCall(const RemoteCall&) = delete;
  RemoteCall& operator=(const RemoteCall&) = delete;
  ~RemoteCall() { release(); }

  /// @brief Waits for the result. @throws mpp::RemoteError if the task threw.
  R get() { return collect(detail::Deadline{}); }
  /// @brief Waits at most `timeout`. @throws mpp::TimeoutError when it runs out (the call
  /// stays valid), mpp::RemoteError if the task threw.
  template <class Rep, class Period>
  R get(std::chrono::duration<Rep, Period> timeout) {
    return collect(detail::Deadline(timeout));
  }
  /// @brief True once the result (or error) has arrived; never blocks.
  bool ready() const { return settled() || detail::reply_ready(ticket_); }

 private:
  using Stored = std::conditional_t<std::is_void_v<R>, bool, R>;

  bool settled() const noexcept { return value_.has_value() || error_ != nullptr; }

  R collect(const detail::Deadline& deadline) {
    if (!settled()) {
      try {
        detail::Bytes bytes = detail::take_reply(ticket_, deadline);
        ticket_ = 0;
        if constexpr (std::is_void_v<R>) {
          value_ = true;
        } else {
          detail::Reader in(bytes);
          value_ = detail::decode<R>(in);
        }
      } catch (const TimeoutError&) {
        throw;
      } catch (...) {
        ticket_ = 0;
        error_ = std::current_exception();
      }
    }
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return *value_;
  }

  void release() noexcept {
    if (ticket_ != 0) detail::drop_reply(ticket_);
    ticket_ = 0;
  }

  std::uint64_t ticket_ = 0;
  std::optional<Stored> value_;
  std::exception_ptr error_;
};

namespace detail {
template <class F>
constexpr void require_shippable() {
  static_assert(Shippable<F>,
                "mpp: this callable cannot run on another rank. A lambda with captures or a "
                "std::function carries state that has no address there: pass the values as "
                "arguments, or bind them with mpp::partial(f, args...).");
}
}  // namespace detail

/// @brief Sends `f(args...)` to run on worker `rank`; returns at once. Rank 0 only.
/// With no worker ranks (mpirun -n 1), pass rank 0: the task runs at once on rank 0.
/// @throws mpp::ValueError for a rank that is not a worker; mpp::ProcessError on a worker.
template <class F, class... Args>
auto submit_to(int rank, F&& f, Args&&... args) {
  using Fn = std::decay_t<F>;
  detail::require_shippable<Fn>();
  using R = detail::task_result_t<Fn, std::decay_t<Args>...>;
  const Fn& fn = f;
  return RemoteCall<R>(detail::submit_task(rank, detail::make_task<Fn, std::decay_t<Args>...>(fn, args...)));
}

/// @brief Runs `f(args...)` on worker `rank` and returns its result. Rank 0 only.
/// @throws mpp::RemoteError if the task threw, as submit_to() otherwise.
template <class F, class... Args>
auto call_on(int rank, F&& f, Args&&... args) {
  return submit_to(rank, std::forward<F>(f), std::forward<Args>(args)...).get();
}

}  // namespace mpp
