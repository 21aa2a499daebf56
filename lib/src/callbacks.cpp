#include "mpp/detail/callbacks.hpp"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "diagnostics.hpp"
#include "runtime_state.hpp"

namespace mpp::detail {
namespace {
std::vector<std::function<bool()>> pending;
bool running = false;  // a callback that asks about results must not re-enter
}  // namespace

void add_pending_callback(std::function<bool()> fire) { pending.push_back(std::move(fire)); }

void run_ready_callbacks() {
  if (running || pending.empty()) return;
  running = true;
  std::vector<std::function<bool()>> current;
  current.swap(pending);
  std::vector<std::function<bool()>> waiting;
  for (auto& fire : current) {
    bool fired = true;
    try {
      fired = fire();
    } catch (...) {
      // As concurrent.futures does: a failing callback is reported, not raised.
      std::string type;
      const std::string what = describe_current_exception(&type);
      log(LogLevel::error, "a result callback raised " + type + ": " + what);
    }
    if (!fired) waiting.push_back(std::move(fire));
  }
  // Callbacks registered by callbacks are in `pending` now: keep them too.
  for (auto& fire : pending) waiting.push_back(std::move(fire));
  pending.swap(waiting);
  running = false;
}

}  // namespace mpp::detail
