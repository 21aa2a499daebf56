#include "mpp/pool.hpp"

#include "mpp/process.hpp"
#include "runtime_state.hpp"

namespace mpp {
namespace detail {
namespace {
thread_local bool in_pool_process = false;
}  // namespace

void mark_pool_process() noexcept { in_pool_process = true; }

void check_may_create_pool(const char* what) {
  const RuntimeState& rt = runtime();
  if (!rt.active) throw RuntimeError(std::string(what) + " created outside mpp::run");
  if (in_pool_process)
    throw ProcessError(std::string(what) + " created inside a pool task: pool processes are not "
                       "allowed to have children (as Python's daemonic pool workers)");
  if (rt.rank != 0)
    throw ProcessError(std::string(what) + " created on worker rank " + std::to_string(rt.rank) +
                       ": only rank 0's main creates pools and processes");
}

int default_pool_size() { return runtime().size > 1 ? runtime().size - 1 : 1; }

std::string pool_process_name(int index) { return "PoolWorker-" + std::to_string(index + 1); }

std::uint64_t start_pool_process(int index, int /*processes*/, Bytes task) {
  const int size = runtime().size;
  const int rank = size == 1 ? 0 : 1 + index % (size - 1);
  return submit_task(rank, std::move(task), Placement::own_thread);
}

}  // namespace detail

void Pool::check_running() const {
  if (!core_ || !core_->running()) throw ValueError("Pool not running");
}

std::size_t Pool::default_chunksize(std::size_t items) const {
  const std::size_t slots = 4 * static_cast<std::size_t>(processes());
  return items == 0 ? 1 : (items + slots - 1) / slots;
}

void Pool::close() {
  if (core_) core_->close();
  detail::run_ready_callbacks();
}

void Pool::terminate() {
  if (!core_) return;
  core_->terminate();
  core_->join(detail::Deadline{});
  detail::run_ready_callbacks();
}

void Pool::join() {
  if (core_ && core_->running()) throw ValueError("Pool is still running: call close() or terminate() first");
  if (core_) core_->join(detail::Deadline{});
  detail::run_ready_callbacks();
}

}  // namespace mpp
