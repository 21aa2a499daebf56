#pragma once
// GoogleTest on MPI ranks. Every rank runs every TEST in the same order. A test body runs on
// every rank (RMA-layer tests) unless it calls on_rank0(), which runs a body on rank 0 while
// the workers serve its tasks, as mpp::run does (user-API tests). A failure on any rank fails
// the test on rank 0, which alone prints.

#include <gtest/gtest.h>

#include <functional>

namespace mpp::testing {

/// Collective: rank 0 runs `body`, the other ranks serve tasks until it returns.
void on_rank0(const std::function<void()>& body);

}  // namespace mpp::testing
