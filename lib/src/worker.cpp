// What a worker rank does inside mpp::run: take tasks from rank 0 until told to stop.
#include "mpp/detail/backoff.hpp"
#include "messages.hpp"

namespace mpp::detail {

namespace {
void send_reply(const Bytes& reply) {
  MpiLock guard;
  check(MPI_Send(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0, tag_reply, runtime().comm),
        "MPI_Send");
}
}  // namespace

int serve_tasks() {
  const RuntimeState& rt = runtime();
  Backoff backoff;
  // The longest wait here is for the next task: a worker idle for long sleeps 1 ms at a time.
  for (;;) {
    auto message = try_receive(0, MPI_ANY_TAG);
    if (!message) {
      backoff.pause();
      continue;
    }
    backoff.reset();
    if (message->tag == tag_shutdown) {
      Reader in(message->bytes);
      const auto code = get_raw<std::int32_t>(in);
      // Rank 0 joined or terminated every process before shutting down: these end soon.
      join_task_threads();
      MpiLock guard;
      check(MPI_Send(nullptr, 0, MPI_BYTE, 0, tag_shutdown_ack, rt.comm), "MPI_Send");
      return code;
    }
    if (message->tag == tag_thread_task) {
      start_task_thread([bytes = std::move(message->bytes)] { send_reply(run_and_reply(Reader(bytes))); });
      continue;
    }
    send_reply(run_and_reply(Reader(message->bytes)));
  }
}

}  // namespace mpp::detail
