// First-fit allocation of this rank's heap, kept in ordinary memory beside the window: the
// rank that allocates is the only one that allocates there, so no remote locking is needed.
#include <map>
#include <mutex>
#include <unordered_map>

#include "rma.hpp"

namespace mpp::rma {
namespace {

constexpr std::uint64_t alignment = 16;
// The first bytes of every heap stay unused so that offset 0 never names a block.
constexpr std::uint64_t reserved_bytes = 64;

struct Allocator {
  std::mutex mutex;
  std::map<std::uint64_t, std::uint64_t> free;  // start -> length, both of whole blocks
  std::unordered_map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> live;  // payload -> (generation, length)
  std::uint64_t next_generation = 1;
};

Allocator& allocator() {
  static Allocator instance;
  return instance;
}

std::uint64_t round_up(std::uint64_t n) { return (n + alignment - 1) / alignment * alignment; }

void insert_free(Allocator& a, std::uint64_t start, std::uint64_t length) {
  auto next = a.free.lower_bound(start);
  if (next != a.free.end() && start + length == next->first) {
    length += next->second;
    next = a.free.erase(next);
  }
  if (next != a.free.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      prev->second += length;
      return;
    }
  }
  a.free.emplace(start, length);
}

}  // namespace

void reset_allocator(std::uint64_t heap_bytes) {
  Allocator& a = allocator();
  std::lock_guard guard(a.mutex);
  a.free.clear();
  a.live.clear();
  if (heap_bytes > reserved_bytes) a.free.emplace(reserved_bytes, heap_bytes - reserved_bytes);
}

std::optional<Block> allocate_block(std::uint64_t bytes) {
  Allocator& a = allocator();
  const std::uint64_t length = header_bytes + round_up(bytes == 0 ? 1 : bytes);
  std::lock_guard guard(a.mutex);
  for (auto it = a.free.begin(); it != a.free.end(); ++it) {
    if (it->second < length) continue;
    const std::uint64_t start = it->first;
    const std::uint64_t rest = it->second - length;
    a.free.erase(it);
    if (rest > 0) a.free.emplace(start + length, rest);
    const Block block{start + header_bytes, a.next_generation++};
    a.live.emplace(block.offset, std::pair{block.generation, length});
    return block;
  }
  return std::nullopt;
}

std::uint64_t release_block(std::uint64_t offset) noexcept {
  Allocator& a = allocator();
  std::lock_guard guard(a.mutex);
  auto it = a.live.find(offset);
  if (it == a.live.end()) return 0;
  const auto [generation, length] = it->second;
  a.live.erase(it);
  insert_free(a, offset - header_bytes, length);
  return generation;
}

std::uint64_t live_generation(std::uint64_t offset) {
  Allocator& a = allocator();
  std::lock_guard guard(a.mutex);
  auto it = a.live.find(offset);
  return it == a.live.end() ? 0 : it->second.first;
}

std::uint64_t largest_free_block() {
  Allocator& a = allocator();
  std::lock_guard guard(a.mutex);
  std::uint64_t best = 0;
  for (const auto& [start, length] : a.free) best = std::max(best, length);
  return best > header_bytes ? best - header_bytes : 0;
}

}  // namespace mpp::rma
