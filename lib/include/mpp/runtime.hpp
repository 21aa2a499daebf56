#pragma once
/// @file runtime.hpp
/// @brief Start-up and shutdown of mpp on MPI ranks, and where this rank is.
///
/// @code
/// int main(int argc, char** argv) {
///   return mpp::run(argc, argv, [&] {
///     std::printf("%d workers\n", mpp::worker_count());
///     return 0;
///   });
/// }
/// @endcode

#include <functional>
#include <string>
#include <type_traits>

namespace mpp {

namespace detail {
int run_main(int argc, char** argv, std::function<int()> main_fn);
}

/// @brief Runs `main_fn` on rank 0 while every other rank serves tasks; collective.
///
/// Launch modes: under `mpirun -n N` there are N-1 workers; started alone (a singleton),
/// the program spawns `MPP_WORKERS` workers (default: cpu_count()) with MPI_Comm_spawn.
/// `main_fn` returns int (the exit code) or void (0). An exception escaping it is printed
/// (type and what()) and the exit code becomes 1. Every rank returns the same code.
template <class F>
int run(int argc, char** argv, F&& main_fn) {
  static_assert(std::is_invocable_v<F&>, "mpp::run: main_fn must be callable with no arguments");
  return detail::run_main(argc, argv, [&]() -> int {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      main_fn();
      return 0;
    } else {
      return static_cast<int>(main_fn());
    }
  });
}

/// @brief Number of worker ranks (all ranks but rank 0); local.
int worker_count();
/// @brief Number of cores of this node; local.
int cpu_count();
/// @brief This process's rank among the ranks mpp runs on (0 = the user's main); local.
int rank();
/// @brief Host name of this rank; local.
std::string hostname();
/// @brief Host name of any rank; local (the names are gathered at start-up).
std::string host_of(int rank);

}  // namespace mpp
