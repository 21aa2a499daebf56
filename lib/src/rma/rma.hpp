#pragma once
// The RMA layer's own interface to the runtime: opening and closing the heap window and
// the progress thread. Only files in lib/src/rma/ call MPI one-sided functions.

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "mpp/detail/handle.hpp"

namespace mpp::rma {

/// Allocates this rank's heap window and opens the passive-target epoch; collective.
void open_heap(MPI_Comm comm, std::size_t bytes);
/// Closes the epoch and frees the window; collective; never throws.
void close_heap() noexcept;

/// Starts a thread that enters MPI every `interval` so that one-sided operations targeting
/// this rank complete while its main thread computes (osc/pt2pt needs the target in MPI).
void start_progress(std::chrono::microseconds interval);
void stop_progress() noexcept;

/// Bookkeeping of this rank's blocks: who is live, with which generation.
struct Block {
  std::uint64_t offset;
  std::uint64_t generation;
};
std::optional<Block> allocate_block(std::uint64_t bytes);
/// Returns the generation the block had, or 0 if no live block starts at `offset`.
std::uint64_t release_block(std::uint64_t offset) noexcept;
/// The live generation of the block at `offset` on this rank, 0 if none.
std::uint64_t live_generation(std::uint64_t offset);
std::uint64_t largest_free_block();
void reset_allocator(std::uint64_t heap_bytes);

/// Block header in the window, just before the payload: [generation][size].
inline constexpr std::uint64_t header_bytes = 16;

/// The generation in the header of the block whose payload starts at `offset` on `rank`:
/// one atomic read, without the checks of an access (with MPP_CHECK_HANDLES=1 they would
/// compare the generation this reads). 0 for a freed block.
std::uint64_t header_generation(int rank, std::uint64_t offset);

}  // namespace mpp::rma
