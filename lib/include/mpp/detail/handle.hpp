#pragma once
// A handle names a block of one rank's shared heap. It owns nothing and is trivially
// copyable, so it can travel to any rank inside task arguments, results or queues.

#include <cstdint>

namespace mpp::detail {

struct Handle {
  std::int32_t rank = -1;        // rank whose heap holds the block
  std::uint32_t reserved = 0;    // keeps the layout free of padding
  std::uint64_t offset = 0;      // payload offset inside that rank's heap window
  std::uint64_t size = 0;        // payload bytes
  std::uint64_t generation = 0;  // changes when the block is freed, so stale handles are caught

  bool valid() const noexcept { return rank >= 0; }
};

}  // namespace mpp::detail
