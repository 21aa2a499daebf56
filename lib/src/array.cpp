// The non-template half of mpp::Array: allocation (local or over every rank), the directory
// of a distributed array, and its errors.
#include "mpp/array.hpp"

#include <cstring>
#include <exception>
#include <string>

#include "mpp/remote.hpp"
#include "mpp/runtime.hpp"

namespace mpp::detail {
namespace {

// Fills `bytes` of a block from `off` with copies of one element, in pieces of about 1 MiB.
void fill(const Handle& h, std::uint64_t off, std::uint64_t count,
          const std::vector<char>& element) {
  const std::size_t size = element.size();
  if (count == 0 || size == 0) return;
  if (std::all_of(element.begin(), element.end(), [](char c) { return c == 0; }))
    return;  // zeroed already
  const std::uint64_t per_write = std::max<std::uint64_t>(1, (std::uint64_t{1} << 20) / size);
  std::vector<char> buffer(static_cast<std::size_t>(std::min(count, per_write)) * size);
  for (std::size_t i = 0; i < buffer.size(); i += size)
    std::memcpy(buffer.data() + i, element.data(), size);
  for (std::uint64_t done = 0; done < count;) {
    const std::uint64_t n = std::min(count - done, per_write);
    write_bytes(h, off + done * size, buffer.data(), static_cast<std::size_t>(n) * size);
    done += n;
  }
}

// Runs on the rank that will hold the piece.
Handle allocate_piece(std::uint64_t count, std::vector<char> element) {
  const Handle h = heap_allocate(count * element.size());
  fill(h, 0, count, element);
  return h;
}

void free_piece(Handle h) { heap_free(h); }

}  // namespace

ArrayStorage make_array(std::uint64_t n, std::size_t element_size, const void* init,
                        bool distributed) {
  const auto* first = static_cast<const char*>(init);
  const std::vector<char> element(first, first + element_size);
  if (!distributed) {
    const Handle home = heap_allocate(array_data_offset + n * element_size);
    fill(home, array_data_offset, n, element);
    return {home, own_block(home), std::make_shared<const std::vector<Handle>>(1, home),
            std::max<std::uint64_t>(n, 1)};
  }
  const int ranks = mpp::worker_count() + 1;
  if (mpp::rank() != 0)
    throw ProcessError(
        "Array(mpp::distributed): a distributed array is created by rank 0's main "
        "(it allocates a block on every rank); create it there and pass it on");
  const std::uint64_t per_piece = std::max<std::uint64_t>(1, (n + ranks - 1) / ranks);
  const std::uint64_t count = n == 0 ? 0 : (n + per_piece - 1) / per_piece;
  std::vector<Handle> pieces(count);
  std::vector<RemoteCall<Handle>> calls;
  for (std::uint64_t k = 1; k < count; ++k)
    calls.push_back(submit_to(static_cast<int>(k), allocate_piece,
                              std::min(per_piece, n - k * per_piece), element));
  std::exception_ptr failed;
  try {
    if (count > 0) pieces[0] = allocate_piece(std::min(per_piece, n), element);
  } catch (...) {
    failed = std::current_exception();
  }
  for (std::uint64_t k = 1; k < count; ++k) {
    try {
      pieces[k] = calls[k - 1].get();
    } catch (...) {
      if (!failed) failed = std::current_exception();
    }
  }
  if (failed) {  // a heap ran out: give back what was made, then report it
    for (const Handle& piece : pieces) {
      if (!piece.valid()) continue;
      if (piece.rank == mpp::rank())
        heap_free(piece);
      else
        submit_to(piece.rank, free_piece, piece);
    }
    try {
      std::rethrow_exception(failed);
    } catch (const RemoteError& e) {
      // Another rank's heap ran out: the same error as this rank's would be.
      if (e.type_name() == "mpp::MemoryError") throw MemoryError(e.what());
      throw;
    }
  }

  const Handle home = heap_allocate(array_data_offset + count * sizeof(Handle));
  if (count > 0) write_bytes(home, array_data_offset, pieces.data(), count * sizeof(Handle));
  // The last copy on rank 0 frees every piece: its own at once, the others by one task each
  // (their replies are dropped unread).
  BlockOwner owner(nullptr, [home, pieces](void*) {
    heap_free(home);
    for (const Handle& piece : pieces) {
      if (piece.rank == mpp::rank()) {
        heap_free(piece);
        continue;
      }
      try {
        submit_to(piece.rank, free_piece, piece);
      } catch (...) {
        // The run is over (or the rank is gone): its heap goes with it.
      }
    }
  });
  return {home, std::move(owner), std::make_shared<const std::vector<Handle>>(std::move(pieces)),
          per_piece};
}

Pieces array_pieces(const Handle& home, std::uint64_t n, std::uint64_t per_piece,
                    bool distributed) {
  if (!distributed) return std::make_shared<const std::vector<Handle>>(1, home);
  std::vector<Handle> pieces(n == 0 ? 0 : (n + per_piece - 1) / per_piece);
  if (!pieces.empty())
    read_bytes(home, array_data_offset, pieces.data(), pieces.size() * sizeof(Handle));
  return std::make_shared<const std::vector<Handle>>(std::move(pieces));
}

void array_index_error(const char* operation, std::uint64_t index, std::uint64_t size) {
  throw IndexError(std::string(operation) + ": index " + std::to_string(index) +
                   " out of range for an Array of size " + std::to_string(size));
}

void array_range_error(const char* operation, std::uint64_t lo, std::uint64_t hi,
                       std::uint64_t size) {
  throw IndexError(std::string(operation) + ": range [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + ") out of range for an Array of size " +
                   std::to_string(size));
}

}  // namespace mpp::detail
