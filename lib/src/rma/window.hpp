#pragma once
// The heap window and the checks every access makes before it reaches MPI.

#include <mpi.h>

#include <cstddef>
#include <cstdint>

#include "mpp/detail/handle.hpp"

namespace mpp::rma {

struct Heap {
  MPI_Win win = MPI_WIN_NULL;
  char* base = nullptr;
  std::uint64_t bytes = 0;
  int ranks = 0;
};

Heap& heap();

/// Throws mpp::Error when [off, off + n) is not inside the block or the handle is not one of
/// this run's (corrupt, or from a rank that does not exist). Returns the window displacement
/// of byte `off`.
MPI_Aint check_bounds(const detail::Handle& h, std::size_t off, std::size_t n);
/// check_bounds, and with MPP_CHECK_HANDLES=1 also the block's generation: what every
/// access does.
MPI_Aint target_of(const detail::Handle& h, std::size_t off, std::size_t n);

}  // namespace mpp::rma
