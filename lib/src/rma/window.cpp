#include "window.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>
#include <string>

#include "../runtime_state.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "rma.hpp"

namespace mpp::rma {

using detail::check;
using detail::MpiLock;

Heap& heap() {
  static Heap instance;
  return instance;
}

void open_heap(MPI_Comm comm, std::size_t bytes) {
  Heap& h = heap();
  MPI_Info info = MPI_INFO_NULL;
  check(MPI_Info_create(&info), "MPI_Info_create");
  // The heap uses byte displacements on every rank; telling MPI lets it skip a lookup.
  MPI_Info_set(info, "same_disp_unit", "true");
  const int rc = MPI_Win_allocate(static_cast<MPI_Aint>(bytes), 1, info, comm, &h.base, &h.win);
  MPI_Info_free(&info);
  check(rc, "MPI_Win_allocate");
  // A window's default handler is MPI_ERRORS_ARE_FATAL: errors must come back as codes.
  check(MPI_Win_set_errhandler(h.win, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  h.bytes = bytes;
  check(MPI_Comm_size(comm, &h.ranks), "MPI_Comm_size");
  reset_allocator(bytes);
  // One passive-target epoch for the whole run; completion comes from flushes.
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, h.win), "MPI_Win_lock_all");
}

void close_heap() noexcept {
  Heap& h = heap();
  if (h.win == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(h.win);
  MPI_Win_free(&h.win);
  h = Heap{};
}

MPI_Aint check_bounds(const detail::Handle& h, std::size_t off, std::size_t n) {
  const Heap& hp = heap();
  if (hp.win == MPI_WIN_NULL)
    throw Error("shared object used outside mpp::run: create and use shared objects inside it");
  if (h.rank < 0 || h.rank >= hp.ranks || h.offset < header_bytes || h.offset + h.size > hp.bytes)
    throw Error("invalid shared-object handle (rank " + std::to_string(h.rank) + ", offset " +
                std::to_string(h.offset) + "): it was not made by this run");
  if (off + n > h.size)
    throw Error("access of " + std::to_string(n) + " bytes at " + std::to_string(off) +
                " past the end of a " + std::to_string(h.size) + "-byte shared block");
  return static_cast<MPI_Aint>(h.offset + off);
}

MPI_Aint target_of(const detail::Handle& h, std::size_t off, std::size_t n) {
  const MPI_Aint target = check_bounds(h, off, n);
  if (detail::runtime().config.check_handles) detail::check_live(h);
  return target;
}

}  // namespace mpp::rma

namespace mpp::detail {

void read_bytes(const Handle& h, std::size_t off, void* dst, std::size_t n) {
  MPI_Aint target = rma::target_of(h, off, n);
  auto* out = static_cast<char*>(dst);
  MpiLock guard;
  // MPI counts are int: copy in pieces below INT_MAX.
  for (std::size_t done = 0; done < n;) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
    check(MPI_Get(out + done, chunk, MPI_BYTE, h.rank, target + static_cast<MPI_Aint>(done), chunk,
                  MPI_BYTE, rma::heap().win),
          "MPI_Get");
    done += static_cast<std::size_t>(chunk);
  }
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
}

void zero_bytes(const Handle& h, std::size_t off, std::size_t n) {
  MPI_Aint target = rma::target_of(h, off, n);
  if (h.rank == runtime().rank) {
    // Our own window: store directly, then make the stores visible to RMA (unified model).
    MpiLock guard;
    std::memset(rma::heap().base + target, 0, n);
    check(MPI_Win_sync(rma::heap().win), "MPI_Win_sync");
    return;
  }
  static const std::vector<char> zeros(std::size_t{1} << 16, 0);
  for (std::size_t done = 0; done < n; done += zeros.size())
    write_bytes(h, off + done, zeros.data(), std::min(zeros.size(), n - done));
}

void write_bytes(const Handle& h, std::size_t off, const void* src, std::size_t n) {
  MPI_Aint target = rma::target_of(h, off, n);
  const auto* in = static_cast<const char*>(src);
  MpiLock guard;
  for (std::size_t done = 0; done < n;) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
    check(MPI_Put(in + done, chunk, MPI_BYTE, h.rank, target + static_cast<MPI_Aint>(done), chunk,
                  MPI_BYTE, rma::heap().win),
          "MPI_Put");
    done += static_cast<std::size_t>(chunk);
  }
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
}

}  // namespace mpp::detail
