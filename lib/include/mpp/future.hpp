#pragma once
/// @file future.hpp
/// @brief mpp::Future<R>, as_completed() and wait(): Python's concurrent.futures results.
///
/// @code
/// mpp::ProcessPoolExecutor ex;
/// std::vector<mpp::Future<int>> fs;
/// for (int i = 0; i < 10; ++i) fs.push_back(ex.submit(square, i));
/// for (auto f : mpp::as_completed(fs)) use(f.result());     // in completion order
/// auto [done, not_done] = mpp::wait(fs, 1s, mpp::FIRST_COMPLETED);
/// @endcode
/// A Future is a shared handle (copies refer to the same task). Its task is a one-item job
/// of the executor (detail/jobs.hpp): cancel() succeeds when rank 0 claims the item before a
/// worker does. Callbacks run on rank 0 during later calls that ask about results.

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "mpp/detail/callbacks.hpp"
#include "mpp/detail/job_tasks.hpp"
#include "mpp/errors.hpp"

namespace mpp {

namespace detail {
template <class R>
struct FutureState {
  using Stored = std::conditional_t<std::is_void_v<R>, Unit, R>;
  std::shared_ptr<Job> job;
  std::optional<Stored> value;
  std::exception_ptr error;

  bool cancelled() const { return job->cancelled(0); }
  bool done() { return cancelled() || job->done(); }
  void settle() {
    if (value || error || cancelled()) return;
    try {
      value = chunk_results<Stored>(*job, 0).front();
    } catch (...) {
      error = std::current_exception();
    }
  }
};
}  // namespace detail

/// @brief The eventual result of ProcessPoolExecutor::submit; a shared handle; rank 0 only.
template <class R>
class Future {
 public:
  Future() = default;
  explicit Future(std::shared_ptr<detail::FutureState<R>> state) : state_(std::move(state)) {}

  /// @brief Waits and returns the result. @throws mpp::RemoteError if the task threw,
  /// mpp::CancelledError if it was cancelled.
  R result() { return result_until(detail::Deadline{}); }
  /// @throws mpp::TimeoutError when not done within `timeout`.
  template <class Rep, class Period>
  R result(std::chrono::duration<Rep, Period> timeout) {
    return result_until(detail::Deadline(timeout));
  }
  /// @brief Waits; the task's exception, or null if it returned.
  /// @throws mpp::CancelledError if it was cancelled.
  std::exception_ptr exception() { return exception_until(detail::Deadline{}); }
  template <class Rep, class Period>
  std::exception_ptr exception(std::chrono::duration<Rep, Period> timeout) {
    return exception_until(detail::Deadline(timeout));
  }
  /// @brief True once it finished or was cancelled; never blocks.
  bool done() {
    detail::run_ready_callbacks();
    return state_->done();
  }
  /// @brief True while a worker runs it.
  bool running() { return !state_->done() && state_->job->claimed(0); }
  /// @brief Cancels the task if no worker has started it; true if it is (now) cancelled.
  bool cancel() {
    if (state_->cancelled()) return true;
    if (state_->done() || state_->job->claimed(0)) return false;
    const bool cancelled = state_->job->cancel_unclaimed() == 1;
    detail::run_ready_callbacks();
    return cancelled;
  }
  bool cancelled() const { return state_->cancelled(); }
  /// @brief Calls `callback(future)` once done: now if it is done already, else on rank 0
  /// during a later call that asks about results.
  void add_done_callback(std::function<void(Future<R>)> callback) {
    if (done()) {
      callback(*this);
      return;
    }
    detail::add_pending_callback([state = state_, callback = std::move(callback)] {
      if (!state->done()) return false;
      callback(Future<R>(state));
      return true;
    });
  }
  /// @brief True if it finished by raising (not cancelled); never blocks.
  bool raised() {
    if (!done() || cancelled()) return false;
    state_->settle();
    return state_->error != nullptr;
  }

 private:
  bool wait_until(const detail::Deadline& deadline) {
    return detail::wait_until([this] { return done(); }, deadline);
  }
  void settle_until(const detail::Deadline& deadline) {
    if (!wait_until(deadline)) throw TimeoutError("Future: the task did not finish within the timeout");
    if (cancelled()) throw CancelledError("Future: the task was cancelled before it ran");
    state_->settle();
  }
  R result_until(const detail::Deadline& deadline) {
    settle_until(deadline);
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (!std::is_void_v<R>) return *state_->value;
  }
  std::exception_ptr exception_until(const detail::Deadline& deadline) {
    settle_until(deadline);
    return state_->error;
  }

  std::shared_ptr<detail::FutureState<R>> state_;
};

/// @brief When wait() returns (Python's names).
enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

template <class R>
struct DoneAndNotDone {
  std::vector<Future<R>> done;
  std::vector<Future<R>> not_done;
};

namespace detail {
template <class R>
DoneAndNotDone<R> wait_for(std::vector<Future<R>> futures, const Deadline& deadline, ReturnWhen when) {
  DoneAndNotDone<R> split;
  auto satisfied = [&] {
    split.done.clear();
    split.not_done.clear();
    bool raised = false;
    for (auto& f : futures) {
      if (f.done()) {
        raised = raised || f.raised();
        split.done.push_back(f);
      } else {
        split.not_done.push_back(f);
      }
    }
    if (split.not_done.empty()) return true;
    if (when == ReturnWhen::FIRST_COMPLETED) return !split.done.empty();
    if (when == ReturnWhen::FIRST_EXCEPTION) return raised;
    return false;
  };
  detail::wait_until(satisfied, deadline);
  return split;
}
}  // namespace detail

/// @brief Waits until `when` holds; returns the done and not-done futures (no exception on
/// timeout, as Python).
template <class R>
DoneAndNotDone<R> wait(const std::vector<Future<R>>& futures, ReturnWhen when = ALL_COMPLETED) {
  return detail::wait_for(futures, detail::Deadline{}, when);
}
template <class R, class Rep, class Period>
DoneAndNotDone<R> wait(const std::vector<Future<R>>& futures, std::chrono::duration<Rep, Period> timeout,
                       ReturnWhen when = ALL_COMPLETED) {
  return detail::wait_for(futures, detail::Deadline(timeout), when);
}

/// @brief The futures in the order they finish (done ones first); an input range.
/// @throws mpp::TimeoutError (while iterating) when the timeout passes with some not done.
template <class R>
class AsCompleted {
 public:
  AsCompleted(std::vector<Future<R>> futures, detail::Deadline deadline)
      : pending_(std::move(futures)), deadline_(deadline) {}

  class iterator {
   public:
    using value_type = Future<R>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* owner) : owner_(owner) { advance(); }
    const Future<R>& operator*() const { return *current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

   private:
    void advance() { current_ = owner_ ? owner_->take_next() : std::nullopt; }
    AsCompleted* owner_ = nullptr;
    std::optional<Future<R>> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  std::optional<Future<R>> take_next() {
    if (pending_.empty()) return std::nullopt;
    std::optional<Future<R>> found;
    const bool in_time = detail::wait_until([&] {
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (!it->done()) continue;
        found = *it;
        pending_.erase(it);
        return true;
      }
      return false;
    }, deadline_);
    if (!in_time)
      throw TimeoutError("as_completed: " + std::to_string(pending_.size()) +
                         " futures not done within the timeout");
    return found;
  }

  std::vector<Future<R>> pending_;
  detail::Deadline deadline_;
};

template <class R>
AsCompleted<R> as_completed(const std::vector<Future<R>>& futures) {
  return AsCompleted<R>(futures, detail::Deadline{});
}
template <class R, class Rep, class Period>
AsCompleted<R> as_completed(const std::vector<Future<R>>& futures, std::chrono::duration<Rep, Period> timeout) {
  return AsCompleted<R>(futures, detail::Deadline(timeout));
}

}  // namespace mpp
