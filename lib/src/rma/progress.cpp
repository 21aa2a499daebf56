// Across TCP hosts only osc/pt2pt works, and it completes an operation only when the target
// rank is inside MPI. This thread enters MPI regularly so that a rank busy in a long task
// still serves the one-sided operations other ranks direct at its heap.
#include <atomic>
#include <thread>

#include "../runtime_state.hpp"
#include "rma.hpp"

namespace mpp::rma {
namespace {
std::atomic<bool> running{false};
std::thread progress_thread;
}  // namespace

void start_progress(std::chrono::microseconds interval) {
  detail::set_mpi_threaded(true);
  running.store(true);
  progress_thread = std::thread([interval] {
    while (running.load(std::memory_order_relaxed)) {
      {
        detail::MpiLock guard;
        int flag = 0;
        // Any probe drives Open MPI's progress engine; MPI_COMM_SELF never has messages.
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_SELF, &flag, MPI_STATUS_IGNORE);
      }
      std::this_thread::sleep_for(interval);
    }
  });
}

void stop_progress() noexcept {
  if (!running.exchange(false)) return;
  if (progress_thread.joinable()) progress_thread.join();
}

}  // namespace mpp::rma
