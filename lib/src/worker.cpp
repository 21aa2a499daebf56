// What a worker rank does inside mpp::run: take tasks from rank 0 until told to stop.
#include "mpp/detail/backoff.hpp"
#include "messages.hpp"

namespace mpp::detail {

int serve_tasks() {
  const RuntimeState& rt = runtime();
  Backoff backoff;
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
      MpiLock guard;
      check(MPI_Send(nullptr, 0, MPI_BYTE, 0, tag_shutdown_ack, rt.comm), "MPI_Send");
      return code;
    }
    const Bytes reply = run_and_reply(Reader(message->bytes));
    MpiLock guard;
    check(MPI_Send(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0, tag_reply, rt.comm),
          "MPI_Send");
  }
}

}  // namespace mpp::detail
