#pragma once
/// @file process.hpp
/// @brief mpp::Process, Python's multiprocessing.Process: one function run on a worker rank.
///
/// @code
/// void greet(std::string who) { std::printf("hello %s from %s\n", who.c_str(), mpp::current_process().name.c_str()); }
/// mpp::Process p(greet, std::string("bob"));
/// p.start();
/// p.join();                    // p.exitcode() == 0
/// @endcode
///
/// Design: a Process runs in a thread of its own on a worker rank (the one running the
/// fewest of this program's processes), so more Processes than workers neither deadlock nor
/// run one after the other: 20 processes that sleep 1 s finish in about 1 s on 2 workers.
/// The costs: threads of one rank share its memory and its fate (a crash ends the job), and
/// while several threads of a rank run, its MPI calls take one mutex. With no worker ranks
/// (mpirun -n 1) processes run as threads of rank 0. Only rank 0's main starts processes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "mpp/detail/dispatch.hpp"
#include "mpp/detail/task.hpp"
#include "mpp/errors.hpp"

namespace mpp {

/// @brief What a task can know about the process it runs in (Python's current_process()).
struct ProcessInfo {
  std::string name;  ///< "MainProcess" in main, "Process-3", "PoolWorker-1", ...
  int rank = 0;      ///< the rank it runs on
  std::string host;  ///< that rank's host
};

/// @brief The process this code runs in; local.
ProcessInfo current_process();

/// @brief Ends the current process with `code` (Python's sys.exit): the code becomes the
/// Process's exitcode(); in main, the program's exit code. Implemented as an exception that
/// is not a std::exception, so `catch (const std::exception&)` does not stop it.
[[noreturn]] void exit(int code);

namespace detail {
struct ExitRequest {
  int code;
};

/// Runs `f(args...)` as process `name`: 0 on return, the code given to mpp::exit, or 1 after
/// printing an uncaught exception with the process name (Python prints a traceback).
int run_as_process(const std::string& name, const std::function<void()>& body);

template <class F, class... Args>
int process_main(std::string name, F f, Args... args) {
  return run_as_process(name, [&] { std::invoke(f, std::move(args)...); });
}

int pick_process_rank();
void process_finished(int rank) noexcept;
std::string next_process_name();
}  // namespace detail

/// @brief A function to run on another rank, started with start(); see the file comment.
class Process {
 public:
  /// @brief Prepares `target(args...)`; local. Nothing runs until start().
  template <class F, class... Args>
  explicit Process(F&& target, Args&&... args)
      : name_(detail::next_process_name()) {
    using Fn = std::decay_t<F>;
    static_assert(detail::Shippable<Fn>,
                  "mpp::Process: the target cannot run on another rank. A lambda with captures "
                  "or a std::function carries state that has no address there: pass the values "
                  "as arguments, or bind them with mpp::partial(f, args...).");
    const Fn& fn = target;
    make_task_ = [fn, args...](const std::string& name) {
      return detail::make_task(&detail::process_main<Fn, std::decay_t<Args>...>, name, fn, args...);
    };
  }
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  /// @brief Joins a started, unjoined process.
  ~Process();

  /// @brief Starts the process on a worker rank. @throws mpp::ProcessError if already started
  /// or when called on a worker.
  void start();
  /// @brief Waits until the process ends. @throws mpp::ProcessError if it was not started.
  void join();
  /// @brief Waits at most `timeout`; true if the process has ended.
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return join_until(detail::Deadline(timeout));
  }
  /// @brief True between start() and the end of the process.
  bool is_alive();
  /// @brief Empty while running or before start(); then 0, the mpp::exit code, or 1.
  std::optional<int> exitcode();
  const std::string& name() const noexcept { return name_; }
  /// @brief Renames the process (before start(), as Python allows).
  void set_name(std::string name);
  /// @brief The rank it runs on, -1 before start().
  int rank() const noexcept { return rank_; }
  /// @brief The host it runs on, empty before start().
  std::string host() const;

 private:
  bool join_until(const detail::Deadline& deadline);
  void collect();

  std::function<detail::Bytes(const std::string&)> make_task_;
  std::string name_;
  std::uint64_t ticket_ = 0;
  int rank_ = -1;
  bool started_ = false;
  std::optional<int> exitcode_;
};

}  // namespace mpp
