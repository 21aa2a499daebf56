#pragma once
// The shared heap as seen from above the RMA layer: blocks named by handles, byte copies
// and atomics. Implemented in lib/src/rma/, the only code that calls MPI one-sided functions.

#include <cstddef>
#include <cstdint>

#include "mpp/detail/handle.hpp"

namespace mpp::detail {

/// True when every rank's heap is mapped into this process (all ranks on one node and
/// MPP_SHARED_HEAP not off): the operations below are then CPU instructions on shared memory,
/// with no MPI call; otherwise each is an MPI one-sided call. Decided once at start-up, the
/// same on every rank. Local.
bool heap_is_shared() noexcept;

/// Allocates a block on this rank's heap, zero-filled unless `zero` is false; local, no
/// collective call. Throws mpp::MemoryError when the heap is exhausted.
Handle heap_allocate(std::size_t bytes, bool zero = true);
/// Frees a block allocated on this rank and bumps its generation; never throws.
void heap_free(const Handle& h) noexcept;
/// Throws mpp::Error when the block named by `h` was freed (its generation changed).
void check_live(const Handle& h);
/// False when the block named by `h` was freed; never throws for a stale handle.
bool is_live(const Handle& h);

void read_bytes(const Handle& h, std::size_t off, void* dst, std::size_t n);
/// Sets n bytes to zero (without a buffer of zeros: on this rank's own heap, in place).
void zero_bytes(const Handle& h, std::size_t off, std::size_t n);
void write_bytes(const Handle& h, std::size_t off, const void* src, std::size_t n);

// Atomic operations on one word of a block. Defined for 8-, 16-, 32- and 64-bit unsigned
// integers; atomic_fetch_add also for the signed ones, float and double.
template <class T> T atomic_load(const Handle& h, std::size_t off);
template <class T> void atomic_store(const Handle& h, std::size_t off, T value);
template <class T> T atomic_fetch_add(const Handle& h, std::size_t off, T delta);
template <class T> T atomic_swap(const Handle& h, std::size_t off, T value);
/// Returns the previous value; the swap happened if it equals `expected`.
template <class T> T atomic_compare_swap(const Handle& h, std::size_t off, T expected, T desired);

}  // namespace mpp::detail

#include <memory>
#include <optional>

#include "mpp/detail/backoff.hpp"

namespace mpp::detail {

/// Waits, with backoff, until the word at `off` no longer holds `value`; returns what it holds
/// then, or nothing when the deadline passes first.
template <class T>
std::optional<T> wait_for_change(const Handle& h, std::size_t off, T value, const Deadline& deadline = {}) {
  T seen = value;
  if (!wait_until([&] { return (seen = atomic_load<T>(h, off)) != value; }, deadline)) return std::nullopt;
  return seen;
}

/// Shared ownership of a block by the rank that allocated it: the last copy frees it.
/// Copies on other ranks carry only the handle and own nothing.
using BlockOwner = std::shared_ptr<void>;

inline BlockOwner own_block(const Handle& h) {
  return BlockOwner(nullptr, [h](void*) { heap_free(h); });
}

}  // namespace mpp::detail

// Bulk word copies and long-lived blocks, for Array and the synchronisation primitives
// (lib/src/rma/words.cpp).
namespace mpp::detail {

/// Copies `count` words of T (8-, 16-, 32- or 64-bit unsigned) starting at byte `off`, as one
/// MPI_Get_accumulate(MPI_NO_OP) (or MPI_Accumulate(MPI_REPLACE)) per call, or one CPU load
/// (store) per word on a shared heap: each word is atomic with respect to the word atomics
/// above, which MPI does not promise for MPI_Get / MPI_Put.
template <class T> void atomic_read_words(const Handle& h, std::size_t off, T* dst, std::size_t count);
template <class T> void atomic_write_words(const Handle& h, std::size_t off, const T* src, std::size_t count);

/// Reads a 64-bit word with a CPU load, no MPI call, so that a thread waiting on its own
/// memory does not contend with the ranks that write it (osc sm serialises each target's
/// atomics on one lock). For a block of this rank's own heap when the window's memory model is
/// MPI_WIN_UNIFIED (checked once), and for any rank's block on a shared heap
/// (heap_is_shared()); otherwise it is atomic_load. It makes no progress: across hosts
/// (osc pt2pt) the progress thread applies incoming updates; a waiter that may run without
/// one reads through atomic_load now and then.
std::uint64_t load_own_word(const Handle& h, std::size_t off);

/// Writes a 64-bit word with a CPU store and a full fence, no MPI call, for a word that no
/// other rank may access until this thread tells it (through a later atomic) that it can: a
/// queue node before it is linked, or after it left the queue. A CPU store where
/// load_own_word is a CPU load, atomic_store elsewhere.
void store_own_word(const Handle& h, std::size_t off, std::uint64_t value);

/// The handle of the `size`-byte block whose payload starts at `offset` on `rank`, for blocks
/// that stay allocated for the whole run (lock queue nodes): reads the block's header, one
/// atomic, only when MPP_CHECK_HANDLES=1, which compares generations on every access.
Handle block_at(int rank, std::uint64_t offset, std::uint64_t size);

}  // namespace mpp::detail
