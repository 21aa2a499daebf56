#include "mpp/executor.hpp"

#include "runtime_state.hpp"

namespace mpp {

ProcessPoolExecutor::~ProcessPoolExecutor() {
  try {
    shutdown(true);
  } catch (const std::exception& e) {
    detail::log(detail::LogLevel::warn, std::string("shutting down an executor: ") + e.what());
  }
}

void ProcessPoolExecutor::check_open() const {
  if (!core_ || !core_->running()) throw RuntimeError("cannot schedule new futures after shutdown");
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  if (!core_) return;
  if (cancel_futures) core_->cancel_pending();
  core_->close();
  if (wait) core_->join(detail::Deadline{});
  detail::run_ready_callbacks();
}

}  // namespace mpp
