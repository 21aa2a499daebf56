#include "messages.hpp"

#include <mutex>
#include <thread>
#include <vector>

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

void encode_current_exception(Bytes& out) {
  std::string type;
  const std::string what = describe_current_exception(&type);
  encode(out, type);
  encode(out, what);
  encode(out, runtime().host);
}

Bytes run_and_reply(Reader task) {
  const auto ticket = get_raw<std::uint64_t>(task);
  Bytes reply;
  put_raw(reply, ticket);
  put_raw<std::uint64_t>(reply, reply_ok);
  try {
    execute_task(task, reply);
  } catch (...) {
    Bytes error;
    put_raw(error, ticket);
    put_raw<std::uint64_t>(error, reply_error);
    encode_current_exception(error);
    reply = std::move(error);
  }
  set_current_task(0);
  return reply;
}

namespace {
std::mutex task_threads_mutex;
std::vector<std::thread> task_threads;
}  // namespace

void start_task_thread(std::function<void()> body) {
  set_mpi_threaded(true);
  std::lock_guard lock(task_threads_mutex);
  task_threads.emplace_back(std::move(body));
}

void join_task_threads() noexcept {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(task_threads_mutex);
    threads.swap(task_threads);
  }
  for (auto& t : threads) t.join();
}

void throw_remote_error(Reader& in, int rank) {
  std::string type = decode<std::string>(in);
  std::string what = decode<std::string>(in);
  std::string host = decode<std::string>(in);
  throw RemoteError(std::move(type), std::move(what), rank, std::move(host));
}

}  // namespace mpp::detail
