// Rank 0's side of the job engine: posting jobs, reading their progress and results,
// cancelling, and the life of the pool's control block.
#include <algorithm>
#include <string>

#include "messages.hpp"
#include "mpp/detail/dispatch.hpp"
#include "mpp/detail/jobs.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

std::uint64_t align8(std::uint64_t n) { return (n + 7) / 8 * 8; }

std::uint64_t load_word(const Handle& h, std::size_t off) { return atomic_load<std::uint64_t>(h, off); }

// Lays out the block and fills in the header's offsets.
std::vector<std::uint64_t> plan_job(const JobSpec& spec, std::uint64_t& total) {
  std::vector<std::uint64_t> header(job_header_words, 0);
  const std::uint64_t chunks = (spec.items + spec.chunksize - 1) / spec.chunksize;
  header[job_items] = spec.items;
  header[job_chunksize] = spec.chunksize;
  header[job_chunks] = chunks;
  header[job_runner_module] = spec.runner.module;
  header[job_runner_offset] = spec.runner.offset;
  header[job_in_stride] = spec.in_stride;
  header[job_out_stride] = spec.out_stride;
  std::uint64_t at = job_areas_off;
  header[job_callable_off] = at;
  header[job_callable_len] = spec.callable.size();
  at += align8(spec.callable.size());
  header[job_inputs_off] = at;
  header[job_inputs_len] = spec.inputs_size;
  at += align8(spec.inputs_size);
  header[job_results_off] = at;
  at += align8(spec.items * spec.out_stride);
  header[job_status_off] = at;
  at += chunks * 8;
  header[job_records_off] = at;
  at += chunks * sizeof(Handle);
  header[job_log_off] = at;
  at += chunks * 8;
  total = at;
  return header;
}

}  // namespace

Job::Job(Handle block, BlockOwner owner, std::uint64_t index, const JobSpec& /*spec*/,
         std::vector<std::uint64_t> header)
    : block_(block), owner_(std::move(owner)), index_(index), header_(std::move(header)),
      cancelled_(header_[job_chunks], false) {}

std::uint64_t Job::finished() { return load_word(block_, job_done_off) + cancelled_count_; }

ChunkStatus Job::status(std::uint64_t chunk) {
  if (cancelled_[chunk]) return ChunkStatus::cancelled;
  return static_cast<ChunkStatus>(load_word(block_, header_[job_status_off] + chunk * 8));
}

std::vector<ChunkStatus> Job::statuses() {
  std::vector<ChunkStatus> all(chunks());
  read_bytes(block_, header_[job_status_off], all.data(), all.size() * 8);
  for (std::uint64_t c = 0; c < all.size(); ++c)
    if (cancelled_[c]) all[c] = ChunkStatus::cancelled;
  return all;
}

bool Job::claimed(std::uint64_t chunk) {
  return cancelled_[chunk] || load_word(block_, job_claim_off) > chunk;
}

bool Job::cancelled(std::uint64_t chunk) const { return cancelled_[chunk]; }

std::optional<std::uint64_t> Job::completed(std::uint64_t k) {
  if (k >= load_word(block_, job_done_off)) return std::nullopt;
  // The log entry is written just after the counter moved: wait for it.
  std::uint64_t entry = 0;
  wait_until([&] { return (entry = load_word(block_, header_[job_log_off] + k * 8)) != 0; });
  return entry - 1;
}

std::uint64_t Job::cancel_unclaimed() {
  const std::uint64_t chunks = header_[job_chunks];
  const std::uint64_t first = atomic_fetch_add<std::uint64_t>(block_, job_claim_off, chunks);
  std::uint64_t count = 0;
  for (std::uint64_t c = first; c < chunks; ++c, ++count) cancelled_[c] = true;
  cancelled_count_ += count;
  return count;
}

Bytes Job::chunk_bytes(std::uint64_t chunk) {
  Handle record;
  read_bytes(block_, header_[job_records_off] + chunk * sizeof(Handle), &record, sizeof record);
  Bytes bytes(record.size);
  read_bytes(record, 0, bytes.data(), bytes.size());
  return bytes;
}

void Job::read_results(std::uint64_t first, std::uint64_t count, void* out) {
  const std::uint64_t stride = header_[job_out_stride];
  read_bytes(block_, header_[job_results_off] + first * stride, out, count * stride);
}

void Job::raise_error(std::uint64_t chunk) {
  Handle record;
  read_bytes(block_, header_[job_records_off] + chunk * sizeof(Handle), &record, sizeof record);
  Bytes bytes(record.size);
  read_bytes(record, 0, bytes.data(), bytes.size());
  Reader in(bytes);
  throw_remote_error(in, record.rank);
}

PoolCore::PoolCore(int processes,
                   const std::function<std::uint64_t(int, const Handle&)>& start_process)
    : processes_(processes),
      control_(heap_allocate(control_ring_off(processes, 0) + job_ring_slots * sizeof(Handle))),
      control_owner_(own_block(control_)) {
  for (int i = 0; i < processes; ++i) tickets_.push_back(start_process(i, control_));
  wait_until([&] {
    return load_word(control_, control_ready * 8) + load_word(control_, control_failed * 8) ==
           static_cast<std::uint64_t>(processes);
  });
  if (load_word(control_, control_failed * 8) > 0) {
    terminate();
    join(Deadline{});
    throw BrokenPool("a pool process's initializer raised (its message is above): the pool "
                     "cannot run tasks; fix the initializer or its arguments");
  }
}

PoolCore::~PoolCore() {
  if (joined_) return;
  try {
    if (running()) terminate();
    join(Deadline{});
  } catch (const std::exception& e) {
    log(LogLevel::warn, std::string("stopping a pool: ") + e.what());
  }
}

std::uint64_t PoolCore::slowest_cursor() {
  std::vector<std::uint64_t> cursors(static_cast<std::size_t>(processes_));
  read_bytes(control_, control_cursor_off(0), cursors.data(), cursors.size() * 8);
  return cursors.empty() ? posted_ : *std::min_element(cursors.begin(), cursors.end());
}

void PoolCore::forget_quiet_jobs() {
  if (live_.empty()) return;
  const bool gone = joined_;
  const std::uint64_t slowest = gone ? posted_ : slowest_cursor();
  std::erase_if(live_, [&](const std::shared_ptr<Job>& job) {
    return job->index() < slowest && job->done();
  });
}

std::shared_ptr<Job> PoolCore::post(const JobSpec& spec) {
  std::uint64_t total = 0;
  std::vector<std::uint64_t> header = plan_job(spec, total);
  // Room in the ring: the slowest process must have left the job that used this slot.
  wait_until([&] { return posted_ - slowest_cursor() < job_ring_slots; });
  // Only the counters, statuses, records and log must start at zero; the rest is written.
  const Handle block = heap_allocate(total, false);
  write_bytes(block, 0, header.data(), header.size() * 8);
  zero_bytes(block, job_claim_off, job_areas_off - job_claim_off);
  write_bytes(block, header[job_callable_off], spec.callable.data(), spec.callable.size());
  write_bytes(block, header[job_inputs_off], spec.inputs, spec.inputs_size);
  zero_bytes(block, header[job_status_off], total - header[job_status_off]);
  write_bytes(control_, control_ring_off(processes_, posted_), &block, sizeof block);
  // The slot is complete (flushed) before the count that announces it moves.
  atomic_fetch_add<std::uint64_t>(control_, control_posted * 8, 1);
  auto job = std::make_shared<Job>(block, own_block(block), posted_++, spec, std::move(header));
  live_.push_back(job);
  forget_quiet_jobs();
  return job;
}

void PoolCore::close() {
  if (state_ != pool_running) return;
  state_ = pool_closed;
  atomic_store<std::uint64_t>(control_, control_state * 8, state_);
}

void PoolCore::terminate() {
  state_ = pool_terminated;
  atomic_store<std::uint64_t>(control_, control_state * 8, state_);
  cancel_pending();
}

void PoolCore::cancel_pending() {
  for (auto& job : live_) job->cancel_unclaimed();
}

bool PoolCore::join(const Deadline& deadline) {
  if (joined_) return true;
  if (!wait_until([&] { return load_word(control_, control_exited * 8) == static_cast<std::uint64_t>(processes_); },
                  deadline))
    return false;
  for (const std::uint64_t ticket : tickets_) take_reply(ticket, Deadline{});
  joined_ = true;
  live_.clear();
  return true;
}

}  // namespace mpp::detail
