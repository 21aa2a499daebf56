#include "mpp/process.hpp"

#include <cstdio>
#include <mutex>
#include <vector>

#include "diagnostics.hpp"
#include "mpp/runtime.hpp"
#include "runtime_state.hpp"

namespace mpp {
namespace detail {
namespace {

thread_local std::string current_name;

// Rank 0's count of running processes per rank, to place each new one on the least busy.
std::mutex placement_mutex;
std::vector<int> running;
int process_counter = 0;

}  // namespace

int run_as_process(const std::string& name, const std::function<void()>& body) {
  const std::string previous = std::exchange(current_name, name);
  int code = 0;
  try {
    body();
  } catch (const ExitRequest& request) {
    code = request.code;
  } catch (...) {
    std::string type;
    const std::string what = describe_current_exception(&type);
    std::fprintf(stderr, "Process %s (rank %d on %s) ended with an uncaught exception:\n  %s: %s\n",
                 name.c_str(), runtime().rank, runtime().host.c_str(), type.c_str(), what.c_str());
    std::fflush(stderr);
    code = 1;
  }
  current_name = previous;
  return code;
}

int pick_process_rank() {
  const int size = runtime().size;
  std::lock_guard lock(placement_mutex);
  running.resize(static_cast<std::size_t>(size), 0);
  int best = size == 1 ? 0 : 1;
  for (int r = best; r < size; ++r)
    if (running[static_cast<std::size_t>(r)] < running[static_cast<std::size_t>(best)]) best = r;
  ++running[static_cast<std::size_t>(best)];
  return best;
}

void process_finished(int rank) noexcept {
  std::lock_guard lock(placement_mutex);
  if (rank >= 0 && static_cast<std::size_t>(rank) < running.size()) --running[static_cast<std::size_t>(rank)];
}

std::string next_process_name() {
  std::lock_guard lock(placement_mutex);
  return "Process-" + std::to_string(++process_counter);
}

}  // namespace detail

ProcessInfo current_process() {
  const auto& rt = detail::runtime();
  std::string name = detail::current_name;
  if (name.empty()) name = rt.rank == 0 ? "MainProcess" : "Worker-" + std::to_string(rt.rank);
  return {name, rt.rank, rt.host};
}

void exit(int code) { throw detail::ExitRequest{code}; }

Process::Process(Process&& other) noexcept
    : make_task_(std::move(other.make_task_)),
      name_(std::move(other.name_)),
      ticket_(std::exchange(other.ticket_, 0)),
      rank_(other.rank_),
      started_(std::exchange(other.started_, false)),
      exitcode_(other.exitcode_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (started_ && !exitcode_) {
      try {
        join();
      } catch (...) {
      }
    }
    make_task_ = std::move(other.make_task_);
    name_ = std::move(other.name_);
    ticket_ = std::exchange(other.ticket_, 0);
    rank_ = other.rank_;
    started_ = std::exchange(other.started_, false);
    exitcode_ = other.exitcode_;
  }
  return *this;
}

Process::~Process() {
  if (!started_ || exitcode_) return;
  try {
    join();
  } catch (const std::exception& e) {
    detail::log(detail::LogLevel::warn, "joining " + name_ + " at its destruction: " + e.what());
  }
}

void Process::start() {
  if (started_)
    throw ProcessError("Process.start: " + name_ + " was already started; a process can be "
                       "started only once (make a new Process to run it again)");
  if (mpp::rank() != 0)
    throw ProcessError("Process.start: " + name_ + " started on worker rank " +
                       std::to_string(mpp::rank()) + "; only rank 0's main starts processes");
  rank_ = detail::pick_process_rank();
  try {
    ticket_ = detail::submit_task(rank_, make_task_(name_), detail::Placement::own_thread);
  } catch (...) {
    detail::process_finished(rank_);
    rank_ = -1;
    throw;
  }
  started_ = true;
}

void Process::collect() {
  detail::Bytes bytes = detail::take_reply(ticket_, detail::Deadline{});
  ticket_ = 0;
  detail::Reader in(bytes);
  exitcode_ = detail::decode<int>(in);
  detail::process_finished(rank_);
}

bool Process::join_until(const detail::Deadline& deadline) {
  if (!started_)
    throw ProcessError("Process.join: " + name_ + " was not started; call start() first");
  if (exitcode_) return true;
  if (!detail::wait_until([this] { return detail::reply_ready(ticket_); }, deadline)) return false;
  collect();
  return true;
}

void Process::join() { join_until(detail::Deadline{}); }

bool Process::is_alive() {
  if (!started_ || exitcode_) return false;
  if (!detail::reply_ready(ticket_)) return true;
  collect();
  return false;
}

std::optional<int> Process::exitcode() {
  if (started_ && !exitcode_ && detail::reply_ready(ticket_)) collect();
  return exitcode_;
}

void Process::set_name(std::string name) {
  if (started_) throw ProcessError("Process.set_name: " + name_ + " already started");
  name_ = std::move(name);
}

std::string Process::host() const { return rank_ < 0 ? std::string() : mpp::host_of(rank_); }

}  // namespace mpp
