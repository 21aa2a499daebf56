#pragma once
// Names code so that another rank running the same executable finds the same function,
// whatever address space layout randomisation did: a module (executable or shared library,
// by the hash of its name) and an offset from that module's load address.

#include <cstdint>

namespace mpp::detail {

struct FnId {
  std::uint64_t module = 0;
  std::uint64_t offset = 0;
};

/// Throws mpp::Error when `code` lies in no loaded module.
FnId function_id(std::uintptr_t code);
/// Throws mpp::Error when the module is not loaded on this rank.
std::uintptr_t function_address(const FnId& id);

/// Remembers which user function this thread is running, for crash reports.
void set_current_task(std::uintptr_t code) noexcept;

}  // namespace mpp::detail
