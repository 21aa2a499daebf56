// Bulk word copies that stay atomic per word, and handles rebuilt from (rank, offset).
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <string>

#include "../runtime_state.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/errors.hpp"
#include "rma.hpp"
#include "window.hpp"

namespace mpp::detail {
namespace {

template <class T>
MPI_Datatype word_type();
template <>
MPI_Datatype word_type<std::uint8_t>() {
  return MPI_UINT8_T;
}
template <>
MPI_Datatype word_type<std::uint16_t>() {
  return MPI_UINT16_T;
}
template <>
MPI_Datatype word_type<std::uint32_t>() {
  return MPI_UINT32_T;
}
template <>
MPI_Datatype word_type<std::uint64_t>() {
  return MPI_UINT64_T;
}

// MPI counts are int: split into pieces below INT_MAX words.
template <class Piece>
void in_pieces(std::size_t count, Piece piece) {
  for (std::size_t done = 0; done < count;) {
    const int n = static_cast<int>(std::min<std::size_t>(count - done, INT_MAX));
    piece(done, n);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

// On a shared heap each word is one relaxed CPU load or store, bracketed by full fences that
// give the copy what the flush gives the MPI path (ordered after this thread's earlier
// accesses, complete before its later ones); MPI does not order the words of one call either.
template <class T>
void atomic_read_words(const Handle& h, std::size_t off, T* dst, std::size_t count) {
  const MPI_Aint target = rma::word_target(h, off, sizeof(T), count);
  if (char* mapped = rma::address_of(rma::heap(), h.rank, target)) {
    auto* words = reinterpret_cast<T*>(mapped);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (std::size_t i = 0; i < count; ++i)
      dst[i] = std::atomic_ref<T>(words[i]).load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
  MpiLock guard;
  in_pieces(count, [&](std::size_t done, int n) {
    // MPI_NO_OP reads no origin buffer; dst stands in for it so that no null pointer reaches MPI.
    check(MPI_Get_accumulate(dst + done, n, word_type<T>(), dst + done, n, word_type<T>(), h.rank,
                             target + static_cast<MPI_Aint>(done * sizeof(T)), n, word_type<T>(),
                             MPI_NO_OP, rma::heap().win),
          "MPI_Get_accumulate");
  });
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
}

template <class T>
void atomic_write_words(const Handle& h, std::size_t off, const T* src, std::size_t count) {
  const MPI_Aint target = rma::word_target(h, off, sizeof(T), count);
  if (char* mapped = rma::address_of(rma::heap(), h.rank, target)) {
    auto* words = reinterpret_cast<T*>(mapped);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (std::size_t i = 0; i < count; ++i)
      std::atomic_ref<T>(words[i]).store(src[i], std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
  MpiLock guard;
  in_pieces(count, [&](std::size_t done, int n) {
    check(MPI_Accumulate(src + done, n, word_type<T>(), h.rank,
                         target + static_cast<MPI_Aint>(done * sizeof(T)), n, word_type<T>(),
                         MPI_REPLACE, rma::heap().win),
          "MPI_Accumulate");
  });
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
}

namespace {
// The word's address in this process, or null when it must go through MPI. On a shared heap
// every rank's word is mapped here. Otherwise only this rank's own, and only if the window's
// memory model is unified (or a CPU access and an RMA access to the same word need not see
// each other). A CPU load never sees half a word: the words are 8-byte aligned, osc sm's
// accumulate calls copy them with aligned 8-byte moves (under its per-target lock, which a
// CPU load does not take), and osc pt2pt applies remote updates in this very process.
std::uint64_t* own_word(const Handle& h, std::size_t off) {
  const rma::Heap& hp = rma::heap();
  if (hp.shared) {
    const MPI_Aint at = rma::word_target(h, off, sizeof(std::uint64_t));
    return reinterpret_cast<std::uint64_t*>(rma::address_of(hp, h.rank, at));
  }
  static const bool unified = [] {
    int* model = nullptr;
    int found = 0;
    MpiLock guard;
    check(MPI_Win_get_attr(rma::heap().win, MPI_WIN_MODEL, &model, &found), "MPI_Win_get_attr");
    return found != 0 && *model == MPI_WIN_UNIFIED;
  }();
  if (!unified || h.rank != runtime().rank) return nullptr;
  const MPI_Aint at = rma::word_target(h, off, sizeof(std::uint64_t));
  return reinterpret_cast<std::uint64_t*>(hp.base + at);
}
}  // namespace

std::uint64_t load_own_word(const Handle& h, std::size_t off) {
  std::uint64_t* word = own_word(h, off);
  if (word == nullptr) return atomic_load<std::uint64_t>(h, off);
  return std::atomic_ref<std::uint64_t>(*word).load(std::memory_order_acquire);
}

void store_own_word(const Handle& h, std::size_t off, std::uint64_t value) {
  std::uint64_t* word = own_word(h, off);
  if (word == nullptr) return atomic_store<std::uint64_t>(h, off, value);
  // seq_cst: the store is globally visible before any later RMA operation of this thread.
  std::atomic_ref<std::uint64_t>(*word).store(value, std::memory_order_seq_cst);
}

Handle block_at(int rank, std::uint64_t offset, std::uint64_t size) {
  Handle h{rank, 0, offset, size, 0};
  if (!rma::heap().check_handles) return h;
  // The generation lives in the header just before the payload: [generation][size].
  // (Not through target_of: it would compare the generation this reads.)
  const rma::Heap& heap = rma::heap();
  if (rank < 0 || rank >= heap.ranks || offset < rma::header_bytes || offset + size > heap.bytes)
    throw Error("invalid block (rank " + std::to_string(rank) + ", offset " +
                std::to_string(offset) + "): it was not made by this run");
  h.generation = rma::header_generation(rank, offset);
  return h;
}

#define MPP_INSTANTIATE_WORDS(T)                                                   \
  template void atomic_read_words<T>(const Handle&, std::size_t, T*, std::size_t); \
  template void atomic_write_words<T>(const Handle&, std::size_t, const T*, std::size_t);
MPP_INSTANTIATE_WORDS(std::uint8_t)
MPP_INSTANTIATE_WORDS(std::uint16_t)
MPP_INSTANTIATE_WORDS(std::uint32_t)
MPP_INSTANTIATE_WORDS(std::uint64_t)
#undef MPP_INSTANTIATE_WORDS

}  // namespace mpp::detail
