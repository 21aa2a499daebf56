// Word atomics on heap blocks: MPI atomics, each completed with a flush before it returns so
// that a caller's next operation (to any rank) is ordered after it, or on a shared heap the
// same operation as a CPU atomic on the mapped word.
#include <atomic>
#include <cstdint>

#include "../runtime_state.hpp"
#include "mpp/detail/heap.hpp"
#include "window.hpp"

namespace mpp::detail {
namespace {

template <class T> MPI_Datatype mpi_type();
template <> MPI_Datatype mpi_type<std::uint8_t>() { return MPI_UINT8_T; }
template <> MPI_Datatype mpi_type<std::uint16_t>() { return MPI_UINT16_T; }
template <> MPI_Datatype mpi_type<std::uint32_t>() { return MPI_UINT32_T; }
template <> MPI_Datatype mpi_type<std::uint64_t>() { return MPI_UINT64_T; }
template <> MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <> MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

// On a shared heap, the word in this process's mapping of its rank's heap; null when the
// operation must go through MPI. `target` is its displacement either way.
template <class T>
T* mapped_word(const Handle& h, std::size_t off, MPI_Aint& target) {
  target = rma::word_target(h, off, sizeof(T));
  return reinterpret_cast<T*>(rma::address_of(rma::heap(), h.rank, target));
}

// `cpu` is the same operation on a shared heap. Its atomics are sequentially consistent: the
// flush of the MPI path completes each operation before the next one starts.
template <class T, class Cpu>
T fetch_and_op(const Handle& h, std::size_t off, T operand, MPI_Op op, Cpu cpu) {
  MPI_Aint target = 0;
  if (T* word = mapped_word<T>(h, off, target)) return cpu(std::atomic_ref<T>(*word));
  T result{};
  MpiLock guard;
  check(MPI_Fetch_and_op(&operand, &result, mpi_type<T>(), h.rank, target, op, rma::heap().win),
        "MPI_Fetch_and_op");
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
  return result;
}

}  // namespace

// Loads and stores go through the accumulate family rather than Get/Put: MPI only promises
// atomicity among accumulate operations on the same location.
template <class T>
T atomic_load(const Handle& h, std::size_t off) {
  return fetch_and_op<T>(h, off, T{}, MPI_NO_OP, [](std::atomic_ref<T> w) { return w.load(); });
}

template <class T>
void atomic_store(const Handle& h, std::size_t off, T value) {
  fetch_and_op<T>(h, off, value, MPI_REPLACE, [value](std::atomic_ref<T> w) {
    w.store(value);
    return T{};
  });
}

template <class T>
T atomic_fetch_add(const Handle& h, std::size_t off, T delta) {
  return fetch_and_op<T>(h, off, delta, MPI_SUM,
                         [delta](std::atomic_ref<T> w) { return w.fetch_add(delta); });
}

template <class T>
T atomic_swap(const Handle& h, std::size_t off, T value) {
  return fetch_and_op<T>(h, off, value, MPI_REPLACE,
                         [value](std::atomic_ref<T> w) { return w.exchange(value); });
}

template <class T>
T atomic_compare_swap(const Handle& h, std::size_t off, T expected, T desired) {
  MPI_Aint target = 0;
  if (T* word = mapped_word<T>(h, off, target)) {
    // On failure compare_exchange leaves the value it found in `expected`; on success that
    // value was `expected` itself: either way it is the previous value.
    std::atomic_ref<T>(*word).compare_exchange_strong(expected, desired);
    return expected;
  }
  T result{};
  MpiLock guard;
  check(MPI_Compare_and_swap(&desired, &expected, &result, mpi_type<T>(), h.rank, target,
                             rma::heap().win),
        "MPI_Compare_and_swap");
  check(MPI_Win_flush(h.rank, rma::heap().win), "MPI_Win_flush");
  return result;
}

#define MPP_INSTANTIATE_WORD(T)                                              \
  template T atomic_load<T>(const Handle&, std::size_t);                     \
  template void atomic_store<T>(const Handle&, std::size_t, T);              \
  template T atomic_fetch_add<T>(const Handle&, std::size_t, T);             \
  template T atomic_swap<T>(const Handle&, std::size_t, T);                  \
  template T atomic_compare_swap<T>(const Handle&, std::size_t, T, T);
MPP_INSTANTIATE_WORD(std::uint8_t)
MPP_INSTANTIATE_WORD(std::uint16_t)
MPP_INSTANTIATE_WORD(std::uint32_t)
MPP_INSTANTIATE_WORD(std::uint64_t)
#undef MPP_INSTANTIATE_WORD
template float atomic_fetch_add<float>(const Handle&, std::size_t, float);
template double atomic_fetch_add<double>(const Handle&, std::size_t, double);

}  // namespace mpp::detail
