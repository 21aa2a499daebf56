#pragma once
// The heap window and the checks every access makes before it reaches MPI or memory. The
// checks are inline: on a shared heap an atomic costs nanoseconds, and calls to reach the
// heap's state and the configuration were a measurable part of it.

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpp/detail/handle.hpp"
#include "rma.hpp"

namespace mpp::rma {

struct Heap {
  MPI_Win win = MPI_WIN_NULL;
  char* base = nullptr;
  std::uint64_t bytes = 0;
  int ranks = 0;
  bool check_handles = false;  // MPP_CHECK_HANDLES, kept here for the access path
  // Every rank on one node (MPP_SHARED_HEAP): the window is MPI_Win_allocate_shared and
  // mapped[r] is where rank r's heap starts in this process. Every access is then a CPU
  // instruction and none is an MPI call: CPU and MPI atomics on one word do not exclude each
  // other, so the choice holds for the whole run, on every rank.
  bool shared = false;
  std::vector<char*> mapped;
};

extern Heap heap_state;
inline Heap& heap() { return heap_state; }

/// Throws the mpp::Error that check_bounds found a reason for; out of line, the cold path.
[[noreturn]] void throw_bad_access(const detail::Handle& h, std::size_t off, std::size_t n);
[[noreturn]] void throw_misaligned(std::size_t off, std::size_t word);
/// detail::check_live, for target_of.
void check_generation(const detail::Handle& h);

/// Throws mpp::Error when [off, off + n) is not inside the block or the handle is not one of
/// this run's (corrupt, or from a rank that does not exist). Returns the window displacement
/// of byte `off`.
inline MPI_Aint check_bounds(const detail::Handle& h, std::size_t off, std::size_t n) {
  const Heap& hp = heap();
  if (hp.win == MPI_WIN_NULL || h.rank < 0 || h.rank >= hp.ranks || h.offset < header_bytes ||
      h.offset + h.size > hp.bytes || off + n > h.size) [[unlikely]]
    throw_bad_access(h, off, n);
  return static_cast<MPI_Aint>(h.offset + off);
}

/// check_bounds, and with MPP_CHECK_HANDLES=1 also the block's generation: what every
/// access does.
inline MPI_Aint target_of(const detail::Handle& h, std::size_t off, std::size_t n) {
  const MPI_Aint target = check_bounds(h, off, n);
  if (heap().check_handles) [[unlikely]]
    check_generation(h);
  return target;
}

/// target_of for `count` words of `word` bytes, which must be aligned to their size: a CPU
/// atomic on a word that straddles cache lines is undefined (and a split lock on x86).
inline MPI_Aint word_target(const detail::Handle& h, std::size_t off, std::size_t word,
                            std::size_t count = 1) {
  const MPI_Aint target = target_of(h, off, word * count);
  if (static_cast<std::size_t>(target) % word != 0) [[unlikely]]
    throw_misaligned(off, word);
  return target;
}

/// On a shared heap, where displacement `at` of `rank`'s heap is in this process; null
/// otherwise (the access goes through MPI).
inline char* address_of(const Heap& hp, int rank, MPI_Aint at) {
  return hp.shared ? hp.mapped[static_cast<std::size_t>(rank)] + at : nullptr;
}

}  // namespace mpp::rma
