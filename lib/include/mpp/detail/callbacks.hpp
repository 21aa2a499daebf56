#pragma once
// Callbacks of asynchronous results run on rank 0. mpp has no result-handler thread: a
// callback runs during a later call on rank 0 that waits for or asks about results (get,
// wait, ready, done, result, as_completed, the pool's and executor's own calls).

#include <functional>

namespace mpp::detail {

/// `fire()` returns true once it has run its callback (then it is dropped).
void add_pending_callback(std::function<bool()> fire);
/// Runs the callbacks whose results are ready; never from inside a callback.
void run_ready_callbacks();

}  // namespace mpp::detail
