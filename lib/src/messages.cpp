#include "messages.hpp"

#include "diagnostics.hpp"
#include "mpp/detail/task.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

std::optional<Message> try_receive(int source, int tag) {
  const RuntimeState& rt = runtime();
  MpiLock guard;
  int flag = 0;
  MPI_Message handle;
  MPI_Status status;
  check(MPI_Improbe(source, tag, rt.comm, &flag, &handle, &status), "MPI_Improbe");
  if (flag == 0) return std::nullopt;
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message message{status.MPI_SOURCE, status.MPI_TAG, Bytes(static_cast<std::size_t>(count))};
  check(MPI_Mrecv(message.bytes.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return message;
}

Bytes run_and_reply(Reader task) {
  const auto ticket = get_raw<std::uint64_t>(task);
  Bytes reply;
  put_raw(reply, ticket);
  put_raw<std::uint64_t>(reply, reply_ok);
  try {
    execute_task(task, reply);
  } catch (...) {
    std::string type;
    const std::string what = describe_current_exception(&type);
    Bytes error;
    put_raw(error, ticket);
    put_raw<std::uint64_t>(error, reply_error);
    encode(error, type);
    encode(error, what);
    encode(error, runtime().host);
    reply = std::move(error);
  }
  set_current_task(0);
  return reply;
}

void throw_remote_error(Reader& in, int rank) {
  std::string type = decode<std::string>(in);
  std::string what = decode<std::string>(in);
  std::string host = decode<std::string>(in);
  throw RemoteError(std::move(type), std::move(what), rank, std::move(host));
}

}  // namespace mpp::detail
