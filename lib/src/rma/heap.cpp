// Allocation and liveness of heap blocks. A block's header in the window carries its
// generation so that any rank can tell a live block from a freed or reused one.
#include <atomic>
#include <string>
#include <vector>

#include "../runtime_state.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "rma.hpp"
#include "window.hpp"

namespace mpp::rma {

std::uint64_t header_generation(int rank, std::uint64_t offset) {
  const MPI_Aint at = static_cast<MPI_Aint>(offset - header_bytes);
  if (char* mapped = address_of(heap(), rank, at))
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(mapped)).load();
  std::uint64_t generation = 0;
  const std::uint64_t ignored = 0;  // MPI_NO_OP reads no operand
  detail::MpiLock guard;
  detail::check(MPI_Fetch_and_op(&ignored, &generation, MPI_UINT64_T, rank, at, MPI_NO_OP,
                                 heap().win),
                "MPI_Fetch_and_op");
  detail::check(MPI_Win_flush(rank, heap().win), "MPI_Win_flush");
  return generation;
}

}  // namespace mpp::rma

namespace mpp::detail {
namespace {

std::string mebibytes(std::uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

// Writes into this rank's own header go through MPI too, or are CPU atomics on a shared
// heap: other ranks read it with atomics.
void write_header(std::uint64_t offset, std::uint64_t generation, std::uint64_t size) {
  const std::uint64_t header[2] = {generation, size};
  const MPI_Aint at = static_cast<MPI_Aint>(offset - rma::header_bytes);
  if (char* mapped = rma::address_of(rma::heap(), runtime().rank, at)) {
    auto* words = reinterpret_cast<std::uint64_t*>(mapped);
    for (int i : {0, 1}) std::atomic_ref<std::uint64_t>(words[i]).store(header[i]);
    return;
  }
  MpiLock guard;
  check(MPI_Accumulate(header, 2, MPI_UINT64_T, runtime().rank, at, 2, MPI_UINT64_T, MPI_REPLACE,
                       rma::heap().win),
        "MPI_Accumulate");
  check(MPI_Win_flush(runtime().rank, rma::heap().win), "MPI_Win_flush");
}

}  // namespace

Handle heap_allocate(std::size_t bytes, bool zero) {
  if (rma::heap().win == MPI_WIN_NULL)
    throw Error("shared object created outside mpp::run: create shared objects inside it");
  const auto block = rma::allocate_block(bytes);
  const RuntimeState& rt = runtime();
  if (!block)
    throw MemoryError("heap exhausted allocating " + std::to_string(bytes) + " bytes on rank " +
                      std::to_string(rt.rank) + " (" + rt.host + "): raise MPP_HEAP_SIZE (now " +
                      mebibytes(rt.config.heap_size) + ", largest free block " +
                      std::to_string(rma::largest_free_block()) + " bytes)");
  const Handle h{rt.rank, 0, block->offset, bytes, block->generation};
  write_header(h.offset, h.generation, bytes);
  // Blocks are reused: clear what the previous owner left.
  if (zero && bytes > 0) zero_bytes(h, 0, bytes);
  return h;
}

void heap_free(const Handle& h) noexcept {
  if (rma::heap().win == MPI_WIN_NULL || h.rank != runtime().rank) return;
  if (rma::release_block(h.offset) == 0) return;
  try {
    write_header(h.offset, 0, 0);
  } catch (const std::exception& e) {
    log(LogLevel::warn, std::string("freeing a shared block: ") + e.what());
  }
}

bool is_live(const Handle& h) {
  rma::check_bounds(h, 0, 0);  // not target_of: with MPP_CHECK_HANDLES=1 it would call us again
  // The allocator knows this rank's own blocks without an MPI call; on a shared heap every
  // rank's header is one CPU load away.
  const std::uint64_t generation = h.rank == runtime().rank && !rma::heap().shared
                                       ? rma::live_generation(h.offset)
                                       : rma::header_generation(h.rank, h.offset);
  return generation == h.generation;
}

void check_live(const Handle& h) {
  if (!is_live(h))
    throw Error("stale handle: the shared object at offset " + std::to_string(h.offset) +
                " on rank " + std::to_string(h.rank) + " (generation " +
                std::to_string(h.generation) + ") was freed; keep the object alive on the rank "
                "that created it while other ranks use it");
}

}  // namespace mpp::detail
