#pragma once
// The runtime's phases, for mpp::run and for test harnesses that run code on every rank.

#include <functional>
#include <string>
#include <vector>

namespace mpp::detail {

/// Brings the runtime up on every rank (collective). Returns 0, or the exit code when
/// start-up failed; the failure is reported and MPI is already finalized then.
int start_runtime(int argc, char** argv);
/// Brings it down again (collective); never throws.
void stop_runtime() noexcept;

/// Rank 0 runs `body` while every worker serves its tasks; collective. Returns the code
/// `body` returned, on every rank.
int run_on_rank0(const std::function<int()>& body);

/// Collective helpers for harnesses.
int allreduce_max(int value);
std::vector<std::string> gather_to_rank0(const std::string& text);
std::string broadcast_from_rank0(std::string text);

}  // namespace mpp::detail
