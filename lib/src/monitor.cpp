// Singleton mode: the workers were spawned, and Open MPI does not end the parent when a
// spawned worker dies (even by MPI_Abort). Rank 0 watches the workers' process ids itself,
// so that a lost worker ends the job with a message instead of a hang.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "runtime_state.hpp"

namespace mpp::detail {
namespace {
std::atomic<bool> watching{false};
std::thread watcher;
}  // namespace

/// Collective over the runtime's communicator; rank 0 starts watching the others.
void start_worker_monitor() {
  const RuntimeState& rt = runtime();
  int pid = static_cast<int>(getpid());
  std::vector<int> pids(static_cast<std::size_t>(rt.rank == 0 ? rt.size : 0));
  check(MPI_Gather(&pid, 1, MPI_INT, pids.data(), 1, MPI_INT, 0, rt.comm), "MPI_Gather");
  if (rt.rank != 0) return;
  watching = true;
  watcher = std::thread([pids] {
    while (watching.load()) {
      for (std::size_t r = 1; r < pids.size(); ++r) {
        if (kill(pids[r], 0) == 0 || errno != ESRCH) continue;
        if (!watching.load()) return;
        abort_job("worker rank " + std::to_string(r) + " (pid " + std::to_string(pids[r]) +
                      ") ended unexpectedly; see its message above",
                  1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void stop_worker_monitor() noexcept {
  if (!watching.exchange(false)) return;
  if (watcher.joinable()) watcher.join();
}

}  // namespace mpp::detail
