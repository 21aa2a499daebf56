#pragma once
// Rank 0's side of task shipping: send a task to a rank, later collect its reply.

#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/codec.hpp"

namespace mpp::detail {

/// Where the receiving rank runs a task: in its task loop, one after the other, or in a
/// thread of its own (a Process, a pool worker: they may wait on one another).
enum class Placement { in_loop, own_thread };

/// Sends `task` to `rank` and returns a ticket for its reply. With no worker ranks the task
/// runs on rank 0 (in_loop: at once). Throws mpp::ValueError for a rank that is not a worker
/// and mpp::ProcessError when called on a worker.
std::uint64_t submit_task(int rank, Bytes task, Placement placement = Placement::in_loop);
/// True once the reply for `ticket` has arrived; never blocks.
bool reply_ready(std::uint64_t ticket);
/// Waits for the reply and returns the encoded result. Throws mpp::TimeoutError when the
/// deadline passes (the reply can still be taken later) and mpp::RemoteError when the task threw.
Bytes take_reply(std::uint64_t ticket, const Deadline& deadline);
/// Forgets a ticket whose reply nobody will take; never throws.
void drop_reply(std::uint64_t ticket) noexcept;

}  // namespace mpp::detail
