#pragma once
// The engine under Pool and ProcessPoolExecutor. A job is one block of rank 0's heap:
//
//   header (16 words) | claim counter | done counter | callable | inputs | bitwise results |
//   status[chunks] | record[chunks] | completion log[chunks]
//
// Pool processes (threads on worker ranks) find jobs in a ring of the pool's control block,
// claim chunks with fetch_add on the claim counter (self-scheduling: uneven tasks balance,
// and claiming never waits for rank 0), and publish each chunk: bitwise results are put
// straight into the job's result array; serialized results and errors are written into the
// worker's own heap and named by the chunk's record, from where rank 0 gets them. Then the
// chunk's status is set, the done counter bumped and the chunk appended to the completion
// log (for imap_unordered and as_completed).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/codec.hpp"
#include "mpp/detail/function_id.hpp"
#include "mpp/detail/handle.hpp"
#include "mpp/detail/heap.hpp"

namespace mpp::detail {

enum class ChunkStatus : std::uint64_t { pending = 0, ok = 1, error = 2, cancelled = 3 };

/// Words of a job's header, in order.
enum JobWord : std::size_t {
  job_items, job_chunksize, job_chunks, job_runner_module, job_runner_offset,
  job_callable_off, job_callable_len, job_in_stride, job_inputs_off, job_inputs_len,
  job_out_stride, job_results_off, job_status_off, job_records_off, job_log_off,
  job_header_words = 16,
};
inline constexpr std::size_t job_claim_off = job_header_words * 8;
inline constexpr std::size_t job_done_off = job_claim_off + 8;
inline constexpr std::size_t job_areas_off = job_done_off + 8;

/// What rank 0 hands to the engine to post a job.
struct JobSpec {
  FnId runner;                // run_chunk<...> instantiation
  Bytes callable;             // the encoded callable
  std::uint64_t items = 0;
  std::uint64_t chunksize = 1;
  std::uint64_t in_stride = 0;   // > 0: inputs are an array of this stride; 0: serialized
  std::uint64_t out_stride = 0;  // > 0: results are an array of this stride; 0: serialized
  // The inputs, copied into the job when it is posted: an array (a view of the caller's
  // items), or [offsets: items + 1 words][encoded items].
  const char* inputs = nullptr;
  std::uint64_t inputs_size = 0;
};

/// Rank 0's view of one posted job; shared by the pool and the results that refer to it.
class Job {
 public:
  Job(Handle block, BlockOwner owner, std::uint64_t index, const JobSpec& spec,
      std::vector<std::uint64_t> header);
  std::uint64_t index() const noexcept { return index_; }
  std::uint64_t items() const noexcept { return header_[job_items]; }
  std::uint64_t chunks() const noexcept { return header_[job_chunks]; }
  std::uint64_t chunksize() const noexcept { return header_[job_chunksize]; }
  std::uint64_t out_stride() const noexcept { return header_[job_out_stride]; }

  /// Chunks finished (by a worker) or cancelled (by rank 0); never blocks.
  std::uint64_t finished();
  bool done() { return finished() == chunks(); }
  ChunkStatus status(std::uint64_t chunk);
  /// Every chunk's status in one read (for collecting a whole map).
  std::vector<ChunkStatus> statuses();
  /// True once some worker has claimed `chunk` (it runs or ran) or rank 0 cancelled it.
  bool claimed(std::uint64_t chunk);
  /// The k-th chunk to finish, if k chunks have finished already.
  std::optional<std::uint64_t> completed(std::uint64_t k);
  /// Claims every chunk no worker has claimed yet and marks them cancelled; how many.
  std::uint64_t cancel_unclaimed();
  bool cancelled(std::uint64_t chunk) const;
  /// Serialized results, or the error, of a finished chunk.
  Bytes chunk_bytes(std::uint64_t chunk);
  /// Bitwise results of items [first, first + count).
  void read_results(std::uint64_t first, std::uint64_t count, void* out);
  /// Throws the RemoteError of a chunk whose status is error.
  [[noreturn]] void raise_error(std::uint64_t chunk);

 private:
  Handle block_;
  BlockOwner owner_;
  std::uint64_t index_;
  std::vector<std::uint64_t> header_;
  std::vector<bool> cancelled_;
  std::uint64_t cancelled_count_ = 0;
};

/// The pool's control block and the jobs it posted; rank 0 only.
class PoolCore {
 public:
  /// `start_process(i, control)` ships the i-th pool process; the core waits until every
  /// process ran its initializer. Throws mpp::BrokenPool if an initializer threw.
  PoolCore(int processes, const std::function<std::uint64_t(int index, const Handle& control)>& start_process);
  ~PoolCore();
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  std::shared_ptr<Job> post(const JobSpec& spec);
  int processes() const noexcept { return processes_; }
  /// No new jobs; processes leave once every posted chunk is claimed.
  void close();
  /// Cancels what no process has claimed; processes leave after their current chunk.
  void terminate();
  /// Cancels what no process has claimed; the pool goes on.
  void cancel_pending();
  /// Waits until every process has left; false on timeout.
  bool join(const Deadline& deadline);
  bool running() const noexcept { return state_ == 0; }

 private:
  void forget_quiet_jobs();
  std::uint64_t slowest_cursor();

  int processes_;
  Handle control_;
  BlockOwner control_owner_;
  std::uint64_t posted_ = 0;
  std::uint64_t state_ = 0;
  std::vector<std::uint64_t> tickets_;
  bool joined_ = false;
  std::vector<std::shared_ptr<Job>> live_;  // jobs a process may still touch
};

/// Control block layout.
enum ControlWord : std::size_t { control_state, control_posted, control_ready, control_failed,
                                 control_exited, control_header_words = 8 };
inline constexpr std::uint64_t pool_running = 0, pool_closed = 1, pool_terminated = 2;
inline constexpr std::uint64_t job_ring_slots = 1024;
inline std::size_t control_cursor_off(std::size_t process) { return (control_header_words + process) * 8; }
inline std::size_t control_ring_off(int processes, std::uint64_t job) {
  return control_cursor_off(static_cast<std::size_t>(processes)) + (job % job_ring_slots) * sizeof(Handle);
}

// ---- worker side -------------------------------------------------------------------------

/// What a chunk runner gets: the job, its header, the callable's bytes.
struct ChunkContext {
  Handle job;
  std::vector<std::uint64_t> header;
  Bytes callable;
  std::uint64_t chunk;
  std::uint64_t first;  // first item of the chunk
  std::uint64_t count;  // items in the chunk
};
using ChunkRunner = void (*)(const ChunkContext&);

/// Bitwise inputs of the chunk into `out` (count x stride bytes).
void read_chunk_array(const ChunkContext& c, void* out);
/// Serialized inputs of the chunk, with a reader positioned at each item in turn.
Bytes read_chunk_encoded(const ChunkContext& c);
/// Publishes a chunk: bitwise results (array) or encoded results or an encoded error.
void publish_chunk_array(const ChunkContext& c, const void* results);
void publish_chunk_bytes(const ChunkContext& c, Bytes bytes, ChunkStatus status);
/// Encodes the exception being handled as a chunk error.
Bytes encode_current_error();

/// The loop of one pool process; returns its exit code.
int pool_process_loop(const Handle& control, int index, int processes);
/// Marks an initializer failure so that the pool's constructor raises BrokenPool.
void report_initializer_failure(const Handle& control);

}  // namespace mpp::detail
