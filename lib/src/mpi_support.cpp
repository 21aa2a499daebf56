#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mpp/errors.hpp"
#include "runtime_state.hpp"

namespace mpp::detail {
namespace {
std::mutex mpi_mutex;
std::atomic<bool> mpi_threaded{false};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}
}  // namespace

RuntimeState& runtime() {
  static RuntimeState state;
  return state;
}

void check(int rc, const char* routine, std::source_location where) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  int error_class = rc;
  MPI_Error_class(rc, &error_class);
  const RuntimeState& rt = runtime();
  throw MpiError(routine, rc, error_class,
                 std::string(text, static_cast<std::size_t>(length)) + " (rank " +
                     std::to_string(rt.rank) + " on " + rt.host + ", " + where.file_name() + ":" +
                     std::to_string(where.line()) + ")");
}

MpiLock::MpiLock() {
  if (mpi_threaded.load(std::memory_order_acquire)) {
    mpi_mutex.lock();
    locked_ = true;
  }
}

MpiLock::~MpiLock() {
  if (locked_) mpi_mutex.unlock();
}

void set_mpi_threaded(bool threaded) { mpi_threaded.store(threaded, std::memory_order_release); }

void log(LogLevel level, std::string_view message) {
  const RuntimeState& rt = runtime();
  if (level > rt.config.log_level) return;
  std::string line = "mpp[" + std::to_string(rt.rank) + "@" + rt.host + "] " + level_name(level) +
                     ": " + std::string(message) + "\n";
  // One write call per line keeps lines from different ranks whole.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

void abort_job(std::string_view cause, int code) {
  const RuntimeState& rt = runtime();
  std::string line = "mpp: fatal on rank " + std::to_string(rt.rank) + " (" + rt.host +
                     "): " + std::string(cause) + "\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
  if (rt.active) MPI_Abort(rt.comm == MPI_COMM_NULL ? MPI_COMM_WORLD : rt.comm, code);
  std::_Exit(code);
}

}  // namespace mpp::detail
