#pragma once
// State and helpers shared by the runtime's source files; never included by public headers.

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace mpp::detail {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
enum class ProgressMode { automatic, on, off };
/// MPP_SHARED_HEAP: map every rank's heap and use CPU atomics (one node only).
enum class SharedHeapMode { automatic, on, off };

/// Everything read from MPP_* environment variables, in one place (config.cpp).
struct Config {
  int workers = -1;  // singleton mode: workers to spawn; -1 = cpu_count()
  std::size_t heap_size = std::size_t{64} << 20;
  LogLevel log_level = LogLevel::warn;
  ProgressMode progress = ProgressMode::automatic;
  std::chrono::microseconds progress_interval{20};
  bool check_handles = false;
  bool tune_malloc = true;
  std::size_t manager_arena = std::size_t{16} << 20;  // a Manager's arena when none is given
  SharedHeapMode shared_heap = SharedHeapMode::automatic;
};

/// Throws mpp::ValueError naming the variable and its accepted values.
Config read_config();

struct RuntimeState {
  bool active = false;
  MPI_Comm comm = MPI_COMM_NULL;  // rank 0 = the user's main, then the workers
  int rank = 0;
  int size = 1;
  std::string host;
  Config config;
  bool spawned = false;     // singleton mode: the workers were spawned
  bool multi_host = false;  // some ranks run on another node
  bool progress_thread = false;
  std::vector<std::string> hosts;  // host name of every rank
};

RuntimeState& runtime();

/// Turns an MPI return code into mpp::MpiError naming the routine, rank, host and place.
void check(int rc, const char* routine, std::source_location where = std::source_location::current());

/// Serialises MPI calls once a second thread may call MPI (progress thread, process
/// threads): the library asks for MPI_THREAD_SERIALIZED because osc/pt2pt, the component
/// that works across TCP hosts, refuses MPI_THREAD_MULTIPLE.
class MpiLock {
 public:
  MpiLock();
  ~MpiLock();
  MpiLock(const MpiLock&) = delete;
  MpiLock& operator=(const MpiLock&) = delete;

 private:
  bool locked_ = false;
};
void set_mpi_threaded(bool threaded);

void log(LogLevel level, std::string_view message);
/// Prints one line naming rank, host and cause, then ends the whole job.
[[noreturn]] void abort_job(std::string_view cause, int code);

/// Message tags of the runtime's own communicator.
enum Tag : int {
  tag_task = 1,
  tag_reply = 2,
  tag_shutdown = 3,
  tag_shutdown_ack = 4,
  tag_thread_task = 5,  // a task that gets a thread of its own
};

}  // namespace mpp::detail
