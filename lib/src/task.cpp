#include "mpp/detail/task.hpp"

#include <string>

#include "mpp/errors.hpp"

namespace mpp::detail {

void Reader::require(std::size_t n) const {
  if (n > remaining())
    throw Error("corrupt message: needed " + std::to_string(n) + " more bytes, " +
                std::to_string(remaining()) + " left");
}

void execute_task(Reader& in, Bytes& out) {
  const auto runner = reinterpret_cast<TaskRunner>(function_address(get_raw<FnId>(in)));
  runner(in, out);
}

}  // namespace mpp::detail
