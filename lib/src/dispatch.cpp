// Rank 0 keeps one record per ticket; replies are collected whenever someone waits.
#include "mpp/detail/dispatch.hpp"

#include <list>
#include <mutex>
#include <unordered_map>

#include "messages.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

struct Ticket {
  int rank = 0;
  bool arrived = false;
  bool dropped = false;
  Bytes reply;  // from the status word on
};

struct Dispatcher {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, Ticket> tickets;
  std::uint64_t next_ticket = 1;
  // Sends stay in flight until MPI is done with their buffers, so that submitting a large
  // task to a busy worker does not block rank 0.
  std::list<std::pair<MPI_Request, Bytes>> sends;
};

Dispatcher& dispatcher() {
  static Dispatcher instance;
  return instance;
}

void store_reply(Dispatcher& d, int source, Bytes bytes) {
  Reader in(bytes);
  const auto ticket = get_raw<std::uint64_t>(in);
  auto it = d.tickets.find(ticket);
  if (it == d.tickets.end()) return;
  if (it->second.dropped) {
    d.tickets.erase(it);
    return;
  }
  it->second.rank = source;
  it->second.arrived = true;
  it->second.reply.assign(bytes.begin() + sizeof ticket, bytes.end());
}

void complete_sends(Dispatcher& d) {
  MpiLock guard;
  for (auto it = d.sends.begin(); it != d.sends.end();) {
    int done = 0;
    check(MPI_Test(&it->first, &done, MPI_STATUS_IGNORE), "MPI_Test");
    it = done ? d.sends.erase(it) : std::next(it);
  }
}

void collect_replies(Dispatcher& d) {
  if (!d.sends.empty()) complete_sends(d);
  while (auto message = try_receive(MPI_ANY_SOURCE, tag_reply))
    store_reply(d, message->source, std::move(message->bytes));
}

// Without workers, rank 0 runs the task itself.
void run_here(Bytes message, Placement placement) {
  auto run = [message = std::move(message)] {
    Bytes reply = run_and_reply(Reader(message));
    Dispatcher& d = dispatcher();
    std::lock_guard lock(d.mutex);
    store_reply(d, 0, std::move(reply));
  };
  if (placement == Placement::own_thread) start_task_thread(std::move(run));
  else run();
}

}  // namespace

std::uint64_t submit_task(int rank, Bytes task, Placement placement) {
  const RuntimeState& rt = runtime();
  if (!rt.active) throw RuntimeError("tasks can only be submitted inside mpp::run");
  if (rt.rank != 0)
    throw ProcessError("tasks are submitted from rank 0 (the rank running main), not from "
                       "worker rank " + std::to_string(rt.rank));
  const int first_worker = rt.size == 1 ? 0 : 1;
  if (rank < first_worker || rank >= rt.size)
    throw ValueError("no worker rank " + std::to_string(rank) + ": workers are ranks " +
                     std::to_string(first_worker) + " to " + std::to_string(rt.size - 1) +
                     (rt.size == 1 ? " (rank 0 runs tasks itself when there are no workers)" : ""));
  Dispatcher& d = dispatcher();
  std::unique_lock lock(d.mutex);
  const std::uint64_t ticket = d.next_ticket++;
  Bytes message;
  message.reserve(sizeof ticket + task.size());
  put_raw(message, ticket);
  message.insert(message.end(), task.begin(), task.end());
  d.tickets[ticket].rank = rank;
  if (rank == 0) {
    lock.unlock();  // the task may submit tasks itself
    run_here(std::move(message), placement);
    return ticket;
  }
  auto& send = d.sends.emplace_back(MPI_REQUEST_NULL, std::move(message));
  MpiLock guard;
  check(MPI_Isend(send.second.data(), static_cast<int>(send.second.size()), MPI_BYTE, rank,
                  placement == Placement::own_thread ? tag_thread_task : tag_task, rt.comm,
                  &send.first),
        "MPI_Isend");
  return ticket;
}

bool reply_ready(std::uint64_t ticket) {
  Dispatcher& d = dispatcher();
  std::lock_guard lock(d.mutex);
  collect_replies(d);
  auto it = d.tickets.find(ticket);
  return it != d.tickets.end() && it->second.arrived;
}

Bytes take_reply(std::uint64_t ticket, const Deadline& deadline) {
  if (!wait_until([ticket] { return reply_ready(ticket); }, deadline)) {
    Dispatcher& d = dispatcher();
    std::lock_guard lock(d.mutex);
    throw TimeoutError("no result from rank " + std::to_string(d.tickets[ticket].rank) +
                       " within the timeout; the task is still running or queued");
  }
  Dispatcher& d = dispatcher();
  std::unique_lock lock(d.mutex);
  auto node = d.tickets.extract(ticket);
  lock.unlock();
  Reader in(node.mapped().reply);
  if (get_raw<std::uint64_t>(in) == reply_error) throw_remote_error(in, node.mapped().rank);
  return Bytes(in.data(), in.data() + in.remaining());
}

void drop_reply(std::uint64_t ticket) noexcept {
  Dispatcher& d = dispatcher();
  std::lock_guard lock(d.mutex);
  auto it = d.tickets.find(ticket);
  if (it == d.tickets.end()) return;
  if (it->second.arrived) d.tickets.erase(it);
  else it->second.dropped = true;
}

/// Called by the runtime at shutdown: replies nobody will take are discarded.
void discard_replies_from(int source, Bytes bytes) {
  Dispatcher& d = dispatcher();
  std::lock_guard lock(d.mutex);
  store_reply(d, source, std::move(bytes));
}

void finish_sends() {
  Dispatcher& d = dispatcher();
  std::lock_guard lock(d.mutex);
  MpiLock guard;
  for (auto& [request, bytes] : d.sends) MPI_Wait(&request, MPI_STATUS_IGNORE);
  d.sends.clear();
  d.tickets.clear();
}

}  // namespace mpp::detail
