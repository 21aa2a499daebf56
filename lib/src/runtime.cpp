// mpp::run: bring MPI up in whichever launch mode this is, run main on rank 0 while the
// workers serve, agree on one exit code, and bring everything down again.
#include "mpp/runtime.hpp"

#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "mpp/detail/session.hpp"
#include "messages.hpp"
#include "mpp/detail/backoff.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "rma/rma.hpp"

namespace mpp::detail {

int serve_tasks();
std::string find_foreign_executable(MPI_Comm comm, int rank, int size, const std::string& host);
void discard_replies_from(int source, Bytes bytes);
void finish_sends();
void start_worker_monitor();
void stop_worker_monitor() noexcept;

namespace {

std::string local_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

// A process started by mpirun, srun or hydra finds its launcher in the environment; one
// started alone is a singleton and grows its own workers.
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

void prepare_environment(bool singleton) {
#if defined(OMPI_MAJOR_VERSION) && OMPI_MAJOR_VERSION < 5
  // Open MPI 4 picks osc/rdma by default, whose 64-bit compare-and-swap crashes the target
  // on one node and which cannot allocate windows across TCP hosts. sm is the fastest on one
  // node and declines multi-node windows, where pt2pt takes over. A user's choice wins.
  setenv("OMPI_MCA_osc", "sm,pt2pt", 0);
#endif
  if (singleton) {
    // The singleton's helper daemon closes a pipe the singleton still writes to at exit.
    signal(SIGPIPE, SIG_IGN);
    // Spawning one worker per core next to rank 0 needs one slot more than there are cores.
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  }
}

std::string executable_path() {
  char path[PATH_MAX] = {};
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
}

struct Communicators {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm inter = MPI_COMM_NULL;  // singleton mode: the link between parent and workers
};

Communicators connect(int argc, char** argv, bool singleton, int workers) {
  Communicators c;
  MPI_Comm parent = MPI_COMM_NULL;
  check(MPI_Comm_get_parent(&parent), "MPI_Comm_get_parent");
  if (parent != MPI_COMM_NULL) {
    c.inter = parent;
    check(MPI_Intercomm_merge(parent, 1, &c.comm), "MPI_Intercomm_merge");
  } else if (singleton && workers > 0) {
    const std::string exe = executable_path();
    std::vector<char*> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    args.push_back(nullptr);
    check(MPI_Comm_spawn(exe.c_str(), args.data(), workers, MPI_INFO_NULL, 0, MPI_COMM_SELF,
                         &c.inter, MPI_ERRCODES_IGNORE),
          "MPI_Comm_spawn");
    check(MPI_Intercomm_merge(c.inter, 0, &c.comm), "MPI_Intercomm_merge");
  } else {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &c.comm), "MPI_Comm_dup");
  }
  check(MPI_Comm_set_errhandler(c.comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return c;
}

// Results and inputs are megabyte vectors made and dropped on every call. glibc gives such
// blocks back to the system when they are freed, and taking them again costs a page fault
// per 4 KiB: measured here, a fresh 1.6 MB vector took 4 ms instead of 21 us, and Pool.map of
// 200000 ints ran at 6 M tasks/s instead of 50 to 230 M. So freed memory stays in the process
// (up to 256 MiB), unless the user tuned malloc already or set MPP_TUNE_MALLOC=0.
void tune_malloc(bool wanted) {
#if defined(__GLIBC__)
  if (!wanted || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_MMAP_THRESHOLD_")) return;
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#else
  (void)wanted;
#endif
}

bool spans_several_hosts(MPI_Comm comm, int size) {
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int local = 0;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  int all_local = local == size ? 1 : 0;
  check(MPI_Allreduce(MPI_IN_PLACE, &all_local, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  return all_local == 0;
}

std::vector<std::string> all_hostnames(MPI_Comm comm, const std::string& mine, int size) {
  constexpr int width = HOST_NAME_MAX + 1;
  std::vector<char> all(static_cast<std::size_t>(width * size), '\0');
  std::vector<char> own(width, '\0');
  mine.copy(own.data(), width - 1);
  check(MPI_Allgather(own.data(), width, MPI_CHAR, all.data(), width, MPI_CHAR, comm), "MPI_Allgather");
  std::vector<std::string> hosts;
  for (int r = 0; r < size; ++r) hosts.emplace_back(all.data() + static_cast<std::ptrdiff_t>(r) * width);
  return hosts;
}

// Collective: true if any rank has an error, which rank 0 (or the rank itself) prints.
bool any_rank_failed(MPI_Comm comm, const std::string& error) {
  int failed = error.empty() ? 0 : 1;
  int root_failed = failed;
  check(MPI_Bcast(&root_failed, 1, MPI_INT, 0, comm), "MPI_Bcast");
  check(MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  // The same error on every rank is printed once, by rank 0.
  if (!error.empty() && (runtime().rank == 0 || root_failed == 0))
    std::fprintf(stderr, "mpp: %s\n", error.c_str());
  return failed != 0;
}

int call_main(const std::function<int()>& main_fn) {
  try {
    return main_fn();
  } catch (const ExitRequest& request) {
    return request.code;
  } catch (...) {
    std::string type;
    const std::string what = describe_current_exception(&type);
    std::fprintf(stderr, "mpp: uncaught exception in main on rank 0 (%s): %s: %s\n",
                 runtime().host.c_str(), type.c_str(), what.c_str());
    return 1;
  }
}

// Tells every worker the exit code and waits until each has answered, taking in replies
// that were still on their way so that no message is left unreceived at MPI_Finalize.
void stop_workers(int code) {
  const RuntimeState& rt = runtime();
  const std::int32_t code32 = code;
  for (int worker = 1; worker < rt.size; ++worker) {
    MpiLock guard;
    check(MPI_Send(&code32, sizeof code32, MPI_BYTE, worker, tag_shutdown, rt.comm), "MPI_Send");
  }
  finish_sends();
  int acks = 0;
  Backoff backoff;
  while (acks < rt.size - 1) {
    auto message = try_receive(MPI_ANY_SOURCE, MPI_ANY_TAG);
    if (!message) {
      backoff.pause();
      continue;
    }
    backoff.reset();
    if (message->tag == tag_shutdown_ack) ++acks;
    else if (message->tag == tag_reply) discard_replies_from(message->source, std::move(message->bytes));
  }
}

void shut_down(Communicators& c) {
  if (c.comm == MPI_COMM_NULL) return;
  RuntimeState& rt = runtime();
  stop_worker_monitor();  // workers may now end at any moment
  MPI_Barrier(c.comm);  // every rank's last RMA operation is complete
  rma::stop_progress();
  set_mpi_threaded(false);
  rma::close_heap();
  rt.active = false;
  MPI_Comm_free(&c.comm);
  if (c.inter != MPI_COMM_NULL) MPI_Comm_disconnect(&c.inter);
  rt.comm = MPI_COMM_NULL;
  MPI_Finalize();
}

Communicators communicators;

}  // namespace

int start_runtime(int argc, char** argv) {
  RuntimeState& rt = runtime();
  if (rt.active) throw RuntimeError("mpp::run is already running: call it once, from main");
  const bool singleton = !started_by_launcher();
  prepare_environment(singleton);
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  rt.host = local_hostname();

  std::string config_error;
  try {
    rt.config = read_config();
  } catch (const Error& e) {
    config_error = e.what();
  }
  int world_size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const int workers = rt.config.workers >= 0 ? rt.config.workers : cpu_count();
  Communicators& c = communicators;
  c = connect(argc, argv, singleton && world_size == 1 && config_error.empty(), workers);
  rt.comm = c.comm;
  rt.spawned = c.inter != MPI_COMM_NULL;
  MPI_Comm_rank(c.comm, &rt.rank);
  MPI_Comm_size(c.comm, &rt.size);

  if (provided < MPI_THREAD_SERIALIZED && config_error.empty())
    config_error = "the MPI library does not provide MPI_THREAD_SERIALIZED, which mpp needs";
  if (any_rank_failed(c.comm, config_error) ||
      any_rank_failed(c.comm, find_foreign_executable(c.comm, rt.rank, rt.size, rt.host))) {
    shut_down(c);
    return 1;
  }

  tune_malloc(rt.config.tune_malloc);
  rt.hosts = all_hostnames(c.comm, rt.host, rt.size);
  rt.multi_host = spans_several_hosts(c.comm, rt.size);
  rt.progress_thread = rt.config.progress == ProgressMode::on ||
                       (rt.config.progress == ProgressMode::automatic && rt.multi_host);
  try {
    rma::open_heap(c.comm, rt.config.heap_size);
  } catch (const Error& e) {
    abort_job(std::string(e.what()) +
                  "; across hosts Open MPI needs '--mca osc pt2pt' (scripts/vcluster run passes it)",
              1);
  }
  if (rt.progress_thread) rma::start_progress(rt.config.progress_interval);
  install_crash_handlers();
  rt.active = true;
  if (rt.spawned) start_worker_monitor();
  log(LogLevel::info, "started: " + std::to_string(rt.size) + " ranks" +
                          (rt.spawned ? " (spawned)" : "") + (rt.multi_host ? ", several hosts" : "") +
                          (rt.progress_thread ? ", progress thread" : ""));
  return 0;
}

void stop_runtime() noexcept { shut_down(communicators); }

int run_on_rank0(const std::function<int()>& body) {
  if (runtime().rank != 0) return serve_tasks();
  const int code = call_main(body);
  join_task_threads();  // processes run on rank 0 itself when there are no workers
  stop_workers(code);
  return code;
}

std::string broadcast_from_rank0(std::string text) {
  const RuntimeState& rt = runtime();
  MpiLock guard;
  int length = static_cast<int>(text.size());
  check(MPI_Bcast(&length, 1, MPI_INT, 0, rt.comm), "MPI_Bcast");
  text.resize(static_cast<std::size_t>(length));
  check(MPI_Bcast(text.data(), length, MPI_CHAR, 0, rt.comm), "MPI_Bcast");
  return text;
}

int run_main(int argc, char** argv, std::function<int()> main_fn) {
  if (const int failed = start_runtime(argc, argv)) return failed;
  const int code = run_on_rank0(main_fn);
  stop_runtime();
  return code;
}

int allreduce_max(int value) {
  MpiLock guard;
  check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, runtime().comm), "MPI_Allreduce");
  return value;
}

std::vector<std::string> gather_to_rank0(const std::string& text) {
  const RuntimeState& rt = runtime();
  MpiLock guard;
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(rt.size));
  check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, rt.comm), "MPI_Gather");
  std::vector<int> offsets(lengths.size());
  int total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(static_cast<std::size_t>(rt.rank == 0 ? total : 0), '\0');
  check(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                    MPI_CHAR, 0, rt.comm),
        "MPI_Gatherv");
  std::vector<std::string> texts;
  if (rt.rank == 0)
    for (std::size_t r = 0; r < lengths.size(); ++r)
      texts.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
  return texts;
}

}  // namespace mpp::detail

namespace mpp {

namespace {
const detail::RuntimeState& active_runtime(const char* caller) {
  const auto& rt = detail::runtime();
  if (!rt.active)
    throw RuntimeError(std::string(caller) + " called outside mpp::run: call it from the "
                                             "function given to mpp::run or from a task");
  return rt;
}
}  // namespace

std::string host_of(int rank) {
  const auto& rt = active_runtime("mpp::host_of()");
  if (rank < 0 || rank >= rt.size) throw ValueError("no rank " + std::to_string(rank));
  return rt.hosts[static_cast<std::size_t>(rank)];
}

int worker_count() { return active_runtime("mpp::worker_count()").size - 1; }
int rank() { return active_runtime("mpp::rank()").rank; }

int cpu_count() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string hostname() {
  const auto& rt = detail::runtime();
  return rt.host.empty() ? detail::local_hostname() : rt.host;
}

}  // namespace mpp
