#pragma once
/// @file executor.hpp
/// @brief mpp::ProcessPoolExecutor, Python's concurrent.futures.ProcessPoolExecutor.
///
/// @code
/// mpp::ProcessPoolExecutor ex;                        // one process per worker rank
/// mpp::Future<int> f = ex.submit(square, 7);          // f.result() == 49
/// for (int y : ex.map(square, std::vector{1, 2, 3})) { ... }   // 1, 4, 9 in order
/// ex.shutdown();                                      // the destructor does it too
/// @endcode
/// It runs on the same engine as mpp::Pool (pool processes are threads on worker ranks,
/// tasks are claimed from rank 0's heap with fetch_add). Differences from Python: an
/// initializer that throws makes the constructor raise mpp::BrokenPool; map takes one range
/// (zip several yourself); callbacks run on rank 0 during later calls that ask about results.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "mpp/async_result.hpp"
#include "mpp/future.hpp"
#include "mpp/pool.hpp"

namespace mpp {

/// @brief A pool of processes on worker ranks that runs tasks and returns Futures; rank 0.
class ProcessPoolExecutor {
 public:
  /// @brief One process per worker rank (one on rank 0 when there are none).
  ProcessPoolExecutor() : ProcessPoolExecutor(detail::default_pool_size()) {}
  /// @throws mpp::ValueError if max_workers < 1.
  explicit ProcessPoolExecutor(int max_workers) : ProcessPoolExecutor(max_workers, detail::NoInitializer{}) {}
  /// @brief Runs `initializer(initargs...)` in each process first. @throws mpp::BrokenPool
  /// if it throws.
  template <class Init, class... InitArgs>
  ProcessPoolExecutor(int max_workers, Init initializer, InitArgs... initargs) {
    detail::check_may_create_pool("ProcessPoolExecutor");
    if (max_workers < 1)
      throw ValueError("ProcessPoolExecutor: max_workers must be greater than 0, got " + std::to_string(max_workers));
    core_ = detail::make_pool_core(max_workers, initializer, initargs...);
  }
  ProcessPoolExecutor(ProcessPoolExecutor&&) noexcept = default;
  ProcessPoolExecutor& operator=(ProcessPoolExecutor&&) noexcept = default;
  /// @brief shutdown(wait = true).
  ~ProcessPoolExecutor();

  /// @brief Schedules f(args...); returns at once. @throws mpp::RuntimeError after shutdown().
  template <class F, class... Args>
  auto submit(F&& f, Args&&... args) {
    using Fn = std::decay_t<F>;
    static_assert(detail::Shippable<Fn>,
                  "mpp::ProcessPoolExecutor: this callable cannot run on another rank. A lambda with "
                  "captures or a std::function carries state that has no address there: pass the "
                  "values as arguments, or bind them with mpp::partial(f, args...).");
    using In = detail::Pack<std::decay_t<Args>...>;
    using R = detail::user_result_t<detail::job_result_t<Fn, In, true>>;
    check_open();
    detail::run_ready_callbacks();
    const Fn& fn = f;
    const In one = detail::make_pack(std::forward<Args>(args)...);
    auto state = std::make_shared<detail::FutureState<R>>();
    state->job = core_->post(detail::make_job_spec<true>(fn, std::span<const In>(&one, 1), 1));
    return Future<R>(std::move(state));
  }

  /// @brief f over `inputs`, results in input order as they come; a task's error is raised
  /// when its turn comes; mpp::TimeoutError if a result is not there `timeout` after this call.
  template <class F, class Range>
  auto map(F&& f, Range&& inputs, std::optional<std::chrono::milliseconds> timeout = std::nullopt,
           std::size_t chunksize = 1) {
    using Fn = std::decay_t<F>;
    static_assert(detail::Shippable<Fn>, "mpp::ProcessPoolExecutor::map: use a function, a captureless "
                                         "lambda or mpp::partial");
    using In = std::decay_t<std::ranges::range_value_t<Range>>;
    using R = detail::job_result_t<Fn, In, false>;
    static_assert(!std::is_same_v<R, detail::Unit>, "map needs a function that returns a value");
    check_open();
    const detail::Deadline deadline = timeout ? detail::Deadline(*timeout) : detail::Deadline{};
    const Fn& fn = f;
    return ImapResult<R>(core_->post(detail::make_job_spec<false>(fn, detail::as_span(std::forward<Range>(inputs)), chunksize)),
                         true, deadline);
  }

  /// @brief No new tasks. `cancel_futures` cancels those no process has started; `wait`
  /// waits until the processes have finished the rest and left. Idempotent.
  void shutdown(bool wait = true, bool cancel_futures = false);
  int max_workers() const noexcept { return core_ ? core_->processes() : 0; }

 private:
  void check_open() const;

  std::unique_ptr<detail::PoolCore> core_;
};

}  // namespace mpp
