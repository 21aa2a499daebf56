#pragma once
// GoogleTest on MPI ranks. Every rank runs every TEST in the same order. A test body runs on
// every rank (RMA-layer tests) unless it calls on_rank0(), which runs a body on rank 0 while
// the workers serve its tasks, as mpp::run does (user-API tests). A failure on any rank fails
// the test on rank 0, which alone prints.

#include <gtest/gtest.h>

#include <functional>
#include <mpp/remote.hpp>
#include <mpp/runtime.hpp>
#include <vector>

namespace mpp::testing {

/// Collective: rank 0 runs `body`, the other ranks serve tasks until it returns.
void on_rank0(const std::function<void()>& body);

/// Every worker rank, or rank 0 alone when there are none (then tasks run on rank 0).
inline std::vector<int> worker_ranks() {
  std::vector<int> ranks;
  for (int r = mpp::worker_count() == 0 ? 0 : 1; r <= mpp::worker_count(); ++r) ranks.push_back(r);
  return ranks;
}

/// Runs f(args...) on every rank of worker_ranks() at once and waits for all of them.
template <class F, class... Args>
void on_every_worker(F f, const Args&... args) {
  std::vector<mpp::RemoteCall<void>> calls;
  for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, f, args...));
  for (auto& c : calls) c.get();
}

}  // namespace mpp::testing
