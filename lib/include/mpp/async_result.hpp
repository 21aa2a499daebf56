#pragma once
/// @file async_result.hpp
/// @brief mpp::AsyncResult<R> (Python's multiprocessing.pool.AsyncResult) and the ranges
/// that imap() and imap_unordered() return.

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "mpp/detail/callbacks.hpp"
#include "mpp/detail/job_tasks.hpp"
#include "mpp/errors.hpp"

namespace mpp {

/// @brief Callbacks for apply_async / map_async; run on rank 0 (see detail/callbacks.hpp:
/// during a later call on rank 0 that asks about results).
template <class R>
struct Callbacks {
  std::function<void(const R&)> callback;
  std::function<void(const RemoteError&)> error_callback;
};

namespace detail {
template <class R>
struct ResultState {
  std::shared_ptr<Job> job;
  bool whole = false;  // map_async: all items as a vector; apply_async: the single item
  std::optional<R> value;
  std::exception_ptr error;

  bool settled() const noexcept { return value.has_value() || error != nullptr; }
  void settle() {
    if (settled()) return;
    try {
      if constexpr (is_vector<R>::value) value = all_results<typename R::value_type>(*job);
      else value = chunk_results<R>(*job, 0).front();
    } catch (...) {
      error = std::current_exception();
    }
  }
};
}  // namespace detail

/// @brief The result of apply_async (R) or map_async (std::vector<R>); a shared handle.
/// With a void task, R is detail::Unit and get() returns nothing useful.
template <class R>
class AsyncResult {
 public:
  explicit AsyncResult(std::shared_ptr<detail::ResultState<R>> state) : state_(std::move(state)) {}

  /// @brief Waits and returns the result. @throws mpp::RemoteError if the task threw.
  R get() & { return get_until(detail::Deadline{}); }
  /// @brief The same, moving the result out of a result nobody else holds (no copy).
  R get() && {
    settle_until(detail::Deadline{});
    return state_.use_count() == 1 ? std::move(*state_->value) : *state_->value;
  }
  /// @throws mpp::TimeoutError when the result is not ready within `timeout`.
  template <class Rep, class Period>
  R get(std::chrono::duration<Rep, Period> timeout) {
    return get_until(detail::Deadline(timeout));
  }
  /// @brief Waits until ready.
  void wait() { wait_until(detail::Deadline{}); }
  /// @brief Waits at most `timeout` (Python's wait(timeout) returns nothing: check ready()).
  template <class Rep, class Period>
  void wait(std::chrono::duration<Rep, Period> timeout) {
    wait_until(detail::Deadline(timeout));
  }
  /// @brief True once the task (every task, for map_async) has finished.
  bool ready() {
    detail::run_ready_callbacks();
    return state_->settled() || state_->job->done();
  }
  /// @brief True if it finished without raising. @throws mpp::ValueError if not ready().
  bool successful() {
    if (!ready()) throw ValueError("AsyncResult.successful: the result is not ready yet");
    state_->settle();
    return state_->error == nullptr;
  }

 private:
  bool wait_until(const detail::Deadline& deadline) {
    return detail::wait_until([this] { return ready(); }, deadline);
  }
  void settle_until(const detail::Deadline& deadline) {
    if (!wait_until(deadline)) throw TimeoutError("AsyncResult.get: the result was not ready within the timeout");
    state_->settle();
    if (state_->error) std::rethrow_exception(state_->error);
  }
  R get_until(const detail::Deadline& deadline) {
    settle_until(deadline);
    return *state_->value;
  }

  std::shared_ptr<detail::ResultState<R>> state_;
};

/// @brief What imap / imap_unordered return: results as they arrive, in input order
/// (imap) or in completion order (imap_unordered). An input range; also next(timeout) as
/// Python's IMapIterator.
template <class R>
class ImapResult {
 public:
  /// `overall`: a deadline for every next() without its own timeout (Executor.map's timeout,
  /// counted from the call).
  ImapResult(std::shared_ptr<detail::Job> job, bool ordered, detail::Deadline overall = {})
      : job_(std::move(job)), ordered_(ordered), overall_(overall) {}

  /// @brief The next result. @throws mpp::RemoteError for a task that threw (at its place),
  /// mpp::IndexError past the end (Python's StopIteration).
  R next() { return next_until(overall_); }
  /// @throws mpp::TimeoutError when no result arrives within `timeout`.
  template <class Rep, class Period>
  R next(std::chrono::duration<Rep, Period> timeout) {
    return next_until(detail::Deadline(timeout));
  }
  bool finished() const noexcept { return taken_ == job_->items(); }

  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(ImapResult* owner) : owner_(owner) { advance(); }
    const R& operator*() const { return *current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

   private:
    void advance() {
      current_.reset();
      if (owner_ != nullptr && !owner_->finished()) current_ = owner_->next();
    }
    ImapResult* owner_ = nullptr;
    std::optional<R> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  R next_until(const detail::Deadline& deadline) {
    if (finished()) throw IndexError("imap: no more results (all " + std::to_string(taken_) + " taken)");
    while (buffered_.empty()) {
      std::optional<std::uint64_t> chunk;
      const bool arrived = detail::wait_until([&] {
        detail::run_ready_callbacks();
        if (ordered_) {
          if (job_->status(next_chunk_) != detail::ChunkStatus::pending || job_->cancelled(next_chunk_)) chunk = next_chunk_;
        } else {
          chunk = job_->completed(next_chunk_);
          if (!chunk && job_->finished() == job_->chunks()) chunk = first_cancelled();
        }
        return chunk.has_value();
      }, deadline);
      if (!arrived) throw TimeoutError("imap: no result within the timeout");
      ++next_chunk_;
      auto items = detail::chunk_results<R>(*job_, *chunk);  // throws the chunk's error
      for (auto& item : items) buffered_.push_back(std::move(item));
      std::reverse(buffered_.begin(), buffered_.end());
    }
    ++taken_;
    R result = std::move(buffered_.back());
    buffered_.pop_back();
    return result;
  }
  std::optional<std::uint64_t> first_cancelled() {
    for (std::uint64_t c = 0; c < job_->chunks(); ++c)
      if (job_->cancelled(c)) return c;
    return std::nullopt;
  }

  std::shared_ptr<detail::Job> job_;
  bool ordered_;
  detail::Deadline overall_;
  std::uint64_t next_chunk_ = 0;
  std::uint64_t taken_ = 0;
  std::vector<R> buffered_;  // reversed: the next result is at the back
};

}  // namespace mpp
