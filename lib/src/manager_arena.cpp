// The allocator of a Manager's arena: power-of-two blocks from 16 bytes, a free list per size
// and a bump pointer, all metadata in the arena and changed only under the arena's RLock, so
// that a rank other than the arena's can allocate there (a rank can only allocate in its own
// heap). Power-of-two sizes make both allocation and freeing a constant number of RMA
// operations; the price is up to half a block unused and no coalescing of freed blocks.
#include "manager_arena.hpp"

#include <array>
#include <mutex>
#include <string>

#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

constexpr std::uint64_t meta_offset = 8;  // after the arena's RLock word
constexpr unsigned size_classes = 36;     // 16 bytes to 512 GiB, beyond MPP_HEAP_SIZE's 64G

struct Meta {
  std::uint64_t next_tag;
  std::uint64_t bump;          // first byte never handed out
  std::uint64_t in_use;        // bytes of the blocks and headers handed out
  std::uint64_t free_headers;  // freed object headers, linked through their word 2
  std::array<std::uint64_t, size_classes> free_blocks;  // linked through their first word
};
constexpr std::uint64_t data_begin = (meta_offset + sizeof(Meta) + 15) / 16 * 16;
constexpr std::uint64_t header_link = 16;  // the kind word: dead in a freed header

unsigned class_of(std::uint64_t bytes) {
  unsigned c = 0;
  while ((std::uint64_t{16} << c) < bytes) ++c;
  return c;
}
std::uint64_t class_bytes(unsigned c) { return std::uint64_t{16} << c; }

// The arena's lock held and its metadata read; commit() writes the metadata back in one Put.
class ArenaLock {
 public:
  explicit ArenaLock(const Handle& arena)
      : arena_(arena), lock_(RLock::at(arena, 0, nullptr)), held_(lock_) {
    read_bytes(arena_, meta_offset, &meta, sizeof meta);
  }
  void commit() { write_bytes(arena_, meta_offset, &meta, sizeof meta); }

  Meta meta{};

 private:
  const Handle& arena_;
  RLock lock_;
  std::lock_guard<RLock> held_;
};

[[noreturn]] void exhausted(const char* operation, const Handle& arena, const Meta& meta,
                            std::uint64_t block) {
  throw MemoryError(std::string(operation) +
                    ": the Manager's arena is exhausted: it needs a block of " +
                    std::to_string(block) + " bytes; of its " + std::to_string(arena.size) +
                    " bytes, " + std::to_string(arena.size - meta.bump) + " were never used and " +
                    std::to_string(meta.bump - data_begin - meta.in_use) +
                    " sit in freed blocks of other sizes. Create the Manager with a larger arena "
                    "(mpp::Manager m(bytes)) or set MPP_MANAGER_ARENA, its default size");
}

// Takes `bytes` from the never-used end, or raises.
std::uint64_t bump(const Handle& arena, Meta& meta, std::uint64_t bytes, const char* operation) {
  if (bytes > arena.size - meta.bump) exhausted(operation, arena, meta, bytes);
  const std::uint64_t at = meta.bump;
  meta.bump += bytes;
  return at;
}

}  // namespace

Handle make_manager_arena(std::size_t bytes) {
  if (bytes < 4096)
    throw ValueError("Manager: an arena of " + std::to_string(bytes) +
                     " bytes is too small: give at least 4096 bytes (the default is "
                     "MPP_MANAGER_ARENA, 16 MiB)");
  Handle arena;
  try {
    arena = heap_allocate(bytes, false);  // only the metadata needs zeros
  } catch (const MemoryError& e) {
    throw MemoryError(std::string("Manager: cannot allocate its arena: ") + e.what() +
                      ", or ask for a smaller arena (mpp::Manager m(bytes), MPP_MANAGER_ARENA)");
  }
  zero_bytes(arena, 0, data_begin);
  Meta meta{};
  meta.next_tag = 1;
  meta.bump = data_begin;
  write_bytes(arena, meta_offset, &meta, sizeof meta);
  return arena;
}

std::uint64_t arena_allocate(const Handle& arena, std::uint64_t bytes, const char* operation) {
  ArenaLock a(arena);
  if (bytes > arena.size) exhausted(operation, arena, a.meta, bytes);
  const unsigned c = class_of(bytes);
  std::uint64_t at = a.meta.free_blocks[c];
  if (at != 0) {
    read_bytes(arena, at, &a.meta.free_blocks[c], sizeof(std::uint64_t));
  } else {
    at = bump(arena, a.meta, class_bytes(c), operation);
  }
  a.meta.in_use += class_bytes(c);
  a.commit();
  return at;
}

void arena_free(const Handle& arena, const std::vector<ArenaBlock>& blocks, std::uint64_t header) {
  if (blocks.empty() && header == 0) return;
  ArenaLock a(arena);
  for (const ArenaBlock& b : blocks) {
    const unsigned c = class_of(b.bytes);
    write_bytes(arena, b.offset, &a.meta.free_blocks[c], sizeof(std::uint64_t));
    a.meta.free_blocks[c] = b.offset;
    a.meta.in_use -= class_bytes(c);
  }
  if (header != 0) {
    write_bytes(arena, header + header_link, &a.meta.free_headers, sizeof(std::uint64_t));
    a.meta.free_headers = header;
    a.meta.in_use -= object_header_bytes;
  }
  a.commit();
}

bool same_arena_block(std::uint64_t a, std::uint64_t b) { return class_of(a) == class_of(b); }

ObjectRef arena_new_object(const Handle& arena, ObjectKind kind, std::uint64_t word6,
                           const char* operation) {
  ArenaLock a(arena);
  std::array<std::uint64_t, object_header_bytes / 8> header{};
  header[tag_word] = a.meta.next_tag;
  header[kind_word] = static_cast<std::uint64_t>(kind);
  header[6] = word6;
  std::uint64_t at = a.meta.free_headers;
  if (at != 0) {
    read_bytes(arena, at + header_link, &a.meta.free_headers, sizeof(std::uint64_t));
    // Not the lock word: a stale proxy of the header's last object may be holding it (it will
    // then find a different tag and let go). A freed object's lock is free, hence zero.
    write_bytes(arena, at + 8, header.data() + 1, object_header_bytes - 8);
  } else {
    at = bump(arena, a.meta, object_header_bytes, operation);
    write_bytes(arena, at, header.data(), object_header_bytes);
  }
  a.meta.in_use += object_header_bytes;
  ++a.meta.next_tag;
  a.commit();
  return {arena, at, header[tag_word]};
}

}  // namespace mpp::detail
