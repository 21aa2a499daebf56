#include "window.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "../runtime_state.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "rma.hpp"

namespace mpp::rma {

using detail::check;
using detail::MpiLock;

Heap heap_state;

namespace {

// osc sm starts each rank's part of a shared window 264 bytes past a page boundary (its own
// bookkeeping comes first); starting our heap at the next cache line keeps a block's words
// on as few lines as the offsets allow.
constexpr std::uintptr_t cache_line = 64;

char* line_aligned(char* p) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  return p + ((cache_line - at % cache_line) % cache_line);
}

// A page fault costs about 11 us in this virtual machine, for a fresh page and for a page
// that another process has already touched alike (8 MiB: 22 to 33 ms touched page by page).
// MADV_POPULATE_WRITE maps a range in one call: 3 ms for 8 MiB of fresh pages, 0.9 ms for
// pages present. So each process maps the start of every rank's heap at start-up, and a
// worker's first read of a job on rank 0 takes no faults. Only the start: first-fit allocation
// hands it out first, and mapping all of a large heap would commit memory that may never be
// used. Kernels before 5.14 refuse the advice; pages then fault in on first use.
constexpr std::size_t prefault_bytes = std::size_t{8} << 20;

void prefault(char* part, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto at = reinterpret_cast<std::uintptr_t>(part);
  const std::uintptr_t first = at / page * page;
  const std::size_t length = at + std::min(bytes, prefault_bytes) - first;
  madvise(reinterpret_cast<void*>(first), length, MADV_POPULATE_WRITE);
}

MPI_Info heap_info(bool shared) {
  MPI_Info info = MPI_INFO_NULL;
  check(MPI_Info_create(&info), "MPI_Info_create");
  // The heap uses byte displacements on every rank; telling MPI lets it skip a lookup.
  MPI_Info_set(info, "same_disp_unit", "true");
  // Each rank's part on pages of its own: no page, and so no cache line, spans two heaps.
  if (shared) MPI_Info_set(info, "alloc_shared_noncontig", "true");
  return info;
}

// One node: every rank's heap is mapped into every process. Returns false when MPI refuses
// (an osc component other than sm was chosen), so that the caller can fall back.
bool allocate_shared(Heap& h, MPI_Comm comm, std::size_t bytes, bool required) {
  MPI_Info info = heap_info(true);
  const int rc = MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes + cache_line), 1, info, comm,
                                         &h.base, &h.win);
  MPI_Info_free(&info);
  if (rc != MPI_SUCCESS && !required) {
    detail::log(detail::LogLevel::info,
                "MPI_Win_allocate_shared refused (Open MPI's osc sm "
                "not selected?): the heap goes through MPI calls");
    return false;
  }
  check(rc, "MPI_Win_allocate_shared");
  check(MPI_Win_set_errhandler(h.win, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  h.mapped.resize(static_cast<std::size_t>(h.ranks));
  for (int r = 0; r < h.ranks; ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    char* part = nullptr;
    check(MPI_Win_shared_query(h.win, r, &size, &unit, &part), "MPI_Win_shared_query");
    h.mapped[static_cast<std::size_t>(r)] = line_aligned(part);
  }
  h.base = h.mapped[static_cast<std::size_t>(detail::runtime().rank)];
  // This rank's own part first, then the others': a page another process touched first
  // costs as much to map here as a fresh one.
  prefault(h.base, bytes);
  for (char* part : h.mapped)
    if (part != h.base) prefault(part, bytes);
  h.shared = true;
  return true;
}

void allocate_private(Heap& h, MPI_Comm comm, std::size_t bytes) {
  MPI_Info info = heap_info(false);
  const int rc = MPI_Win_allocate(static_cast<MPI_Aint>(bytes), 1, info, comm, &h.base, &h.win);
  MPI_Info_free(&info);
  check(rc, "MPI_Win_allocate");
  // A window's default handler is MPI_ERRORS_ARE_FATAL: errors must come back as codes.
  check(MPI_Win_set_errhandler(h.win, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  // Other ranks reach this memory through MPI (osc sm copies in their own process, osc pt2pt
  // in this one): only this rank's part can be mapped in advance here.
  prefault(h.base, bytes);
}

// The decision is the same on every rank: the mode is read from one environment, and
// multi_host was agreed by a reduction.
bool wants_shared_heap() {
  const detail::RuntimeState& rt = detail::runtime();
  using Mode = detail::SharedHeapMode;
  if (rt.config.shared_heap == Mode::on && rt.multi_host)
    detail::abort_job(
        "MPP_SHARED_HEAP=on needs every rank on one node, but the ranks run on "
        "several hosts: set MPP_SHARED_HEAP=auto (the default) or off",
        1);
  return rt.config.shared_heap != Mode::off && !rt.multi_host;
}

}  // namespace

void open_heap(MPI_Comm comm, std::size_t bytes) {
  Heap& h = heap();
  check(MPI_Comm_size(comm, &h.ranks), "MPI_Comm_size");
  const bool required = detail::runtime().config.shared_heap == detail::SharedHeapMode::on;
  if (!wants_shared_heap() || !allocate_shared(h, comm, bytes, required))
    allocate_private(h, comm, bytes);
  h.bytes = bytes;
  h.check_handles = detail::runtime().config.check_handles;
  reset_allocator(bytes);
  // One passive-target epoch for the whole run; completion comes from flushes.
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, h.win), "MPI_Win_lock_all");
  if (detail::runtime().rank == 0)
    detail::log(detail::LogLevel::info,
                h.shared ? "heap: shared memory, CPU atomics" : "heap: MPI one-sided calls");
}

void close_heap() noexcept {
  Heap& h = heap();
  if (h.win == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(h.win);
  MPI_Win_free(&h.win);
  h = Heap{};
}

void throw_bad_access(const detail::Handle& h, std::size_t off, std::size_t n) {
  const Heap& hp = heap();
  if (hp.win == MPI_WIN_NULL)
    throw Error("shared object used outside mpp::run: create and use shared objects inside it");
  if (h.rank < 0 || h.rank >= hp.ranks || h.offset < header_bytes || h.offset + h.size > hp.bytes)
    throw Error("invalid shared-object handle (rank " + std::to_string(h.rank) + ", offset " +
                std::to_string(h.offset) + "): it was not made by this run");
  throw Error("access of " + std::to_string(n) + " bytes at " + std::to_string(off) +
              " past the end of a " + std::to_string(h.size) + "-byte shared block");
}

void throw_misaligned(std::size_t off, std::size_t word) {
  throw Error("misaligned atomic access: a " + std::to_string(word) + "-byte word at byte " +
              std::to_string(off) + " of a shared block; place words at multiples of their size");
}

void check_generation(const detail::Handle& h) { detail::check_live(h); }

}  // namespace mpp::rma

namespace mpp::detail {

// On a shared heap a byte copy is a memcpy between mapped memory and the caller's. The
// fences give it what the flush gives the MPI path: it is ordered after this thread's earlier
// accesses and complete before its later ones (x86 may otherwise let a later load pass the
// stores still in the store buffer).
void read_bytes(const Handle& h, std::size_t off, void* dst, std::size_t n) {
  MPI_Aint target = rma::target_of(h, off, n);
  if (const char* at = rma::address_of(rma::heap(), h.rank, target)) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (n > 0) std::memcpy(dst, at, n);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
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
  if (char* at = rma::address_of(rma::heap(), h.rank, target)) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (n > 0) std::memset(at, 0, n);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
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
  if (char* at = rma::address_of(rma::heap(), h.rank, target)) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (n > 0) std::memcpy(at, src, n);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
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

bool heap_is_shared() noexcept { return rma::heap().shared; }

}  // namespace mpp::detail
