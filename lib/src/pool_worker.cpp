// A pool process: a thread on a worker rank that takes chunks of the pool's jobs.
#include <map>
#include <mutex>
#include <vector>

#include "messages.hpp"
#include "mpp/detail/jobs.hpp"

namespace mpp::detail {
namespace {

std::uint64_t load_word(const Handle& h, std::size_t off) { return atomic_load<std::uint64_t>(h, off); }

// Serialized results stay in this rank's heap until rank 0 has freed their job: only then
// is it sure that nobody will read them again.
struct HeldResults {
  std::mutex mutex;
  std::map<std::uint64_t, std::pair<Handle, std::vector<Handle>>> by_job;  // job offset+generation
};

HeldResults& held() {
  static HeldResults instance;
  return instance;
}

void hold_until_job_freed(const Handle& job, const Handle& buffer) {
  HeldResults& h = held();
  std::lock_guard lock(h.mutex);
  auto& entry = h.by_job[job.generation];
  entry.first = job;
  entry.second.push_back(buffer);
}

void finish_chunk(const ChunkContext& c, ChunkStatus status) {
  atomic_store<std::uint64_t>(c.job, c.header[job_status_off] + c.chunk * 8,
                              static_cast<std::uint64_t>(status));
  const std::uint64_t position = atomic_fetch_add<std::uint64_t>(c.job, job_done_off, 1);
  atomic_store<std::uint64_t>(c.job, c.header[job_log_off] + position * 8, c.chunk + 1);
}

void work_on(const Handle& job, const Handle& control) {
  std::vector<std::uint64_t> header(job_header_words);
  read_bytes(job, 0, header.data(), header.size() * 8);
  Bytes callable(header[job_callable_len]);
  read_bytes(job, header[job_callable_off], callable.data(), callable.size());
  const auto runner = reinterpret_cast<ChunkRunner>(
      function_address(FnId{header[job_runner_module], header[job_runner_offset]}));
  const std::uint64_t chunks = header[job_chunks];
  ChunkContext context{job, std::move(header), std::move(callable), 0, 0, 0};
  for (;;) {
    if (load_word(control, control_state * 8) == pool_terminated) return;
    const std::uint64_t chunk = atomic_fetch_add<std::uint64_t>(job, job_claim_off, 1);
    if (chunk >= chunks) return;
    const std::uint64_t size = context.header[job_chunksize];
    context.chunk = chunk;
    context.first = chunk * size;
    context.count = std::min(size, context.header[job_items] - context.first);
    runner(context);
  }
}

}  // namespace

void free_released_results() {
  HeldResults& h = held();
  std::lock_guard lock(h.mutex);
  for (auto it = h.by_job.begin(); it != h.by_job.end();) {
    if (is_live(it->second.first)) {
      ++it;
      continue;
    }
    for (const Handle& buffer : it->second.second) heap_free(buffer);
    it = h.by_job.erase(it);
  }
}

void read_chunk_array(const ChunkContext& c, void* out) {
  const std::uint64_t stride = c.header[job_in_stride];
  read_bytes(c.job, c.header[job_inputs_off] + c.first * stride, out, c.count * stride);
}

Bytes read_chunk_encoded(const ChunkContext& c) {
  std::vector<std::uint64_t> offsets(c.count + 1);
  read_bytes(c.job, c.header[job_inputs_off] + c.first * 8, offsets.data(), offsets.size() * 8);
  const std::uint64_t blob = c.header[job_inputs_off] + (c.header[job_items] + 1) * 8;
  Bytes bytes(offsets.back() - offsets.front());
  read_bytes(c.job, blob + offsets.front(), bytes.data(), bytes.size());
  return bytes;
}

void publish_chunk_array(const ChunkContext& c, const void* results) {
  const std::uint64_t stride = c.header[job_out_stride];
  write_bytes(c.job, c.header[job_results_off] + c.first * stride, results, c.count * stride);
  finish_chunk(c, ChunkStatus::ok);
}

void publish_chunk_bytes(const ChunkContext& c, Bytes bytes, ChunkStatus status) {
  const Handle buffer = heap_allocate(bytes.size(), false);
  write_bytes(buffer, 0, bytes.data(), bytes.size());
  write_bytes(c.job, c.header[job_records_off] + c.chunk * sizeof(Handle), &buffer, sizeof buffer);
  hold_until_job_freed(c.job, buffer);
  finish_chunk(c, status);
}

Bytes encode_current_error() {
  Bytes bytes;
  encode_current_exception(bytes);
  return bytes;
}

void report_initializer_failure(const Handle& control) {
  // This process will not enter its loop: it has failed, and it has left.
  atomic_fetch_add<std::uint64_t>(control, control_failed * 8, 1);
  atomic_fetch_add<std::uint64_t>(control, control_exited * 8, 1);
}

int pool_process_loop(const Handle& control, int index, int processes) {
  atomic_fetch_add<std::uint64_t>(control, control_ready * 8, 1);
  Backoff backoff;
  std::uint64_t next_job = 0;
  for (;;) {
    const std::uint64_t state = load_word(control, control_state * 8);
    if (state == pool_terminated) break;
    if (next_job < load_word(control, control_posted * 8)) {
      Handle job;
      read_bytes(control, control_ring_off(processes, next_job), &job, sizeof job);
      work_on(job, control);
      atomic_store<std::uint64_t>(control, control_cursor_off(static_cast<std::size_t>(index)), ++next_job);
      backoff.reset();
      continue;
    }
    if (state == pool_closed) break;
    free_released_results();
    backoff.pause();
  }
  atomic_fetch_add<std::uint64_t>(control, control_exited * 8, 1);
  return 0;
}

}  // namespace mpp::detail
