#pragma once
/// @file pool.hpp
/// @brief mpp::Pool, Python's multiprocessing.Pool on worker ranks.
///
/// @code
/// int square(int x) { return x * x; }
/// mpp::Pool pool;                                        // one process per worker rank
/// auto squares = pool.map(square, std::vector{1, 2, 3});  // {1, 4, 9}, input order
/// auto r = pool.apply_async(square, 7);  r.get(2s);       // 49, or mpp::TimeoutError
/// for (int y : pool.imap_unordered(square, std::views::iota(0, 100))) { ... }
/// @endcode
///
/// How it runs: each pool process is a thread on a worker rank (round robin over the
/// workers; on rank 0 when there are none). Every call posts a job into rank 0's heap;
/// processes claim chunks of it with an atomic fetch-and-add, so uneven tasks balance, and
/// write results back with one-sided puts (see docs/architecture.md). Differences from
/// Python: callbacks run on rank 0 during later calls that ask about results (there is no
/// result-handler thread); terminate() cannot kill a running task, it lets each process
/// finish its current chunk, and results that had not started raise mpp::RuntimeError
/// instead of never arriving; an initializer that throws makes the constructor raise
/// mpp::BrokenPool instead of restarting workers forever.

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "mpp/async_result.hpp"
#include "mpp/detail/dispatch.hpp"
#include "mpp/runtime.hpp"

namespace mpp {

namespace detail {
std::uint64_t start_pool_process(int index, int processes, Bytes task);
std::string pool_process_name(int index);
void check_may_create_pool(const char* what);
int default_pool_size();
template <class R>
using user_result_t = std::conditional_t<std::is_same_v<R, Unit>, void, R>;

template <class Init, class... InitArgs>
std::unique_ptr<PoolCore> make_pool_core(int processes, const Init& init, const InitArgs&... init_args) {
  static_assert(Shippable<Init>, "mpp: the initializer cannot run on another rank: use a function, "
                                 "a captureless lambda or mpp::partial");
  return std::make_unique<PoolCore>(processes, [&](int index, const Handle& control) {
    return start_pool_process(index, processes,
                              make_task(&pool_process_main<Init, InitArgs...>, pool_process_name(index),
                                        control, index, processes, init, init_args...));
  });
}
}  // namespace detail

/// @brief A pool of worker processes; rank 0 only; move-only; the destructor terminates.
class Pool {
 public:
  /// @brief One process per worker rank (one on rank 0 when there are none).
  Pool() : Pool(detail::default_pool_size()) {}
  /// @brief `processes` processes. @throws mpp::ValueError if processes < 1;
  /// mpp::ProcessError inside a pool task or on a worker.
  explicit Pool(int processes) : Pool(processes, detail::NoInitializer{}) {}
  /// @brief Runs `initializer(initargs...)` once in each process before any task.
  /// @throws mpp::BrokenPool if an initializer throws.
  template <class Init, class... InitArgs>
  Pool(int processes, Init initializer, InitArgs... initargs) {
    detail::check_may_create_pool("Pool");
    if (processes < 1) throw ValueError("Pool: processes must be at least 1, got " + std::to_string(processes));
    core_ = detail::make_pool_core(processes, initializer, initargs...);
  }
  Pool(Pool&&) noexcept = default;
  Pool& operator=(Pool&&) noexcept = default;
  ~Pool() = default;  // PoolCore's destructor terminates and joins

  /// @brief f over `inputs` (any input range), results in input order. Default chunksize:
  /// ceil(n / (4 x processes)), as Python. @throws mpp::RemoteError for the first failing
  /// task in input order; mpp::ValueError after close().
  template <class F, class Range>
  auto map(F&& f, Range&& inputs, std::size_t chunksize = 0) {
    return collect(map_async(std::forward<F>(f), std::forward<Range>(inputs), chunksize));
  }
  /// @brief f(*args) for each tuple (std::tuple or std::pair) of `inputs`.
  template <class F, class Range>
  auto starmap(F&& f, Range&& inputs, std::size_t chunksize = 0) {
    return collect(starmap_async(std::forward<F>(f), std::forward<Range>(inputs), chunksize));
  }
  template <class F, class Range>
  auto map_async(F&& f, Range&& inputs, std::size_t chunksize = 0,
                 Callbacks<std::vector<detail::job_result_t<std::decay_t<F>, std::ranges::range_value_t<Range>, false>>> callbacks = {}) {
    return post_whole<false>(std::forward<F>(f), detail::as_span(std::forward<Range>(inputs)), chunksize, std::move(callbacks));
  }
  template <class F, class Range>
  auto starmap_async(F&& f, Range&& inputs, std::size_t chunksize = 0,
                     Callbacks<std::vector<detail::job_result_t<std::decay_t<F>, std::ranges::range_value_t<Range>, true>>> callbacks = {}) {
    return post_whole<true>(std::forward<F>(f), detail::as_span(std::forward<Range>(inputs)), chunksize, std::move(callbacks));
  }
  /// @brief Results one by one in input order, as they arrive (default chunksize 1).
  template <class F, class Range>
  auto imap(F&& f, Range&& inputs, std::size_t chunksize = 1) {
    return post_lazy(std::forward<F>(f), std::forward<Range>(inputs), chunksize, true);
  }
  /// @brief Results one by one in the order they finish.
  template <class F, class Range>
  auto imap_unordered(F&& f, Range&& inputs, std::size_t chunksize = 1) {
    return post_lazy(std::forward<F>(f), std::forward<Range>(inputs), chunksize, false);
  }
  /// @brief f(args...) in a pool process; waits for the result.
  template <class F, class... Args>
  auto apply(F&& f, Args&&... args) {
    auto r = apply_async(std::forward<F>(f), std::forward<Args>(args)...);
    if constexpr (std::is_same_v<decltype(r.get()), detail::Unit>) r.get();
    else return r.get();
  }
  /// @brief f(args...) in a pool process; returns at once.
  template <class F, class... Args>
  auto apply_async(F&& f, Args&&... args) {
    using Fn = std::decay_t<F>;
    using In = detail::Pack<std::decay_t<Args>...>;
    using R = detail::job_result_t<Fn, In, true>;
    return apply_async_with(Callbacks<R>{}, std::forward<F>(f), std::forward<Args>(args)...);
  }
  /// @brief apply_async with a callback and an error callback.
  template <class R, class F, class... Args>
  AsyncResult<R> apply_async_with(Callbacks<R> callbacks, F&& f, Args&&... args) {
    using Fn = std::decay_t<F>;
    require_shippable<Fn>();
    const Fn& fn = f;
    const auto one = detail::make_pack(std::forward<Args>(args)...);
    return post<true, R>(fn, std::span(&one, 1), 1, false, std::move(callbacks));
  }

  /// @brief No more tasks; processes leave once the submitted ones are done.
  void close();
  /// @brief Stops the processes after their current chunk; unstarted tasks are cancelled.
  void terminate();
  /// @brief Waits for the processes to leave. @throws mpp::ValueError unless close() or
  /// terminate() was called first.
  void join();
  /// @brief Number of processes.
  int processes() const noexcept { return core_ ? core_->processes() : 0; }

 private:
  template <class Fn>
  static constexpr void require_shippable() {
    static_assert(detail::Shippable<Fn>,
                  "mpp::Pool: this callable cannot run on another rank. A lambda with captures or "
                  "a std::function carries state that has no address there: pass the values as "
                  "arguments, or bind them with mpp::partial(f, args...).");
  }
  void check_running() const;
  std::size_t default_chunksize(std::size_t items) const;

  template <bool Unpack, class R, class Fn, class In>
  AsyncResult<R> post(const Fn& f, std::span<const In> inputs, std::size_t chunksize, bool whole,
                      Callbacks<R> callbacks) {
    check_running();
    detail::run_ready_callbacks();
    auto state = std::make_shared<detail::ResultState<R>>();
    state->job = core_->post(detail::make_job_spec<Unpack>(f, inputs, chunksize));
    state->whole = whole;
    if (callbacks.callback || callbacks.error_callback) {
      detail::add_pending_callback([state, callbacks = std::move(callbacks)] {
        if (!state->settled() && !state->job->done()) return false;
        state->settle();
        if (!state->error) {
          if (callbacks.callback) callbacks.callback(*state->value);
        } else if (callbacks.error_callback) {
          try {
            std::rethrow_exception(state->error);
          } catch (const RemoteError& e) {
            callbacks.error_callback(e);
          } catch (...) {
          }
        }
        return true;
      });
    }
    return AsyncResult<R>(std::move(state));
  }

  template <bool Unpack, class F, class In, class R>
  AsyncResult<R> post_whole(F&& f, std::span<const In> inputs, std::size_t chunksize, Callbacks<R> callbacks) {
    using Fn = std::decay_t<F>;
    require_shippable<Fn>();
    const Fn& fn = f;
    return post<Unpack, R>(fn, inputs, chunksize == 0 ? default_chunksize(inputs.size()) : chunksize, true,
                           std::move(callbacks));
  }

  template <class F, class Range>
  auto post_lazy(F&& f, Range&& inputs, std::size_t chunksize, bool ordered) {
    using Fn = std::decay_t<F>;
    require_shippable<Fn>();
    using In = std::decay_t<std::ranges::range_value_t<Range>>;
    using R = detail::job_result_t<Fn, In, false>;
    static_assert(!std::is_same_v<R, detail::Unit>, "imap needs a function that returns a value");
    check_running();
    detail::run_ready_callbacks();
    const Fn& fn = f;
    return ImapResult<R>(core_->post(detail::make_job_spec<false>(fn, detail::as_span(std::forward<Range>(inputs)), chunksize)),
                         ordered);
  }

  template <class R>
  static auto collect(AsyncResult<R> result) {
    if constexpr (std::is_same_v<R, std::vector<detail::Unit>>) std::move(result).get();
    else return std::move(result).get();
  }

  std::unique_ptr<detail::PoolCore> core_;
};

}  // namespace mpp
