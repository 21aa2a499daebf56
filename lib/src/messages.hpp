#pragma once
// The runtime's two-sided messages between rank 0 and the workers.
//   task:     [ticket u64][task bytes]                      rank 0 -> worker
//   reply:    [ticket u64][status u64][result or error]     worker -> rank 0
//   shutdown: [exit code i32]                               rank 0 -> worker
//   ack:      (empty)                                       worker -> rank 0

#include <cstdint>
#include <functional>
#include <optional>

#include "mpp/detail/codec.hpp"
#include "runtime_state.hpp"

namespace mpp::detail {

enum ReplyStatus : std::uint64_t { reply_ok = 0, reply_error = 1 };

struct Message {
  int source = -1;
  int tag = -1;
  Bytes bytes;
};

/// Receives one message matching (source, tag) if one is waiting; never blocks. Uses a
/// matched probe so that two threads never take the same message.
std::optional<Message> try_receive(int source, int tag);

/// Appends the exception being handled as [type][what][host], for a reply or a chunk.
void encode_current_exception(Bytes& out);

/// Runs the task in `task` (after its ticket) and builds the reply message.
Bytes run_and_reply(Reader task);

/// Threads that run tasks with Placement::own_thread on this rank; joined at shutdown.
/// Starting the first one makes every MPI call of the process take the MPI mutex.
void start_task_thread(std::function<void()> body);
void join_task_threads() noexcept;

/// The error carried by a reply, as the exception the caller sees.
[[noreturn]] void throw_remote_error(Reader& in, int rank);

}  // namespace mpp::detail
