#pragma once
// The allocator inside a Manager's arena (manager_arena.cpp), used by the dict and list
// sessions. Any rank may call it: its metadata lives in the arena, under the arena's lock.
//
// Arena layout:
//   [arena RLock word][metadata: next tag, bump, bytes in use, free headers, free lists][blocks]
// Object header, 64 bytes, the same for dicts and lists in its first three words:
//   [object RLock word][tag][kind][kind's words 3..7]

#include <cstdint>
#include <vector>

#include "mpp/detail/manager_core.hpp"

namespace mpp::detail {

inline constexpr std::uint64_t object_header_bytes = 64;
inline constexpr std::size_t tag_word = 1, kind_word = 2;
// A list's words; a dict's are private to manager_dict.cpp.
inline constexpr std::size_t list_size_word = 3, list_capacity_word = 4, list_data_word = 5,
                             list_element_word = 6;

/// A block of at least `bytes` in the arena. Throws mpp::MemoryError naming `operation`, the
/// block and the arena's state when it has none.
std::uint64_t arena_allocate(const Handle& arena, std::uint64_t bytes, const char* operation);
/// Gives blocks back, and the object header at `header` (0 for none), in one lock holding.
void arena_free(const Handle& arena, const std::vector<ArenaBlock>& blocks,
                std::uint64_t header = 0);
/// True when blocks of `a` and of `b` bytes are the same size, so one can be rewritten in place.
bool same_arena_block(std::uint64_t a, std::uint64_t b);
/// A new object header, its kind's words zero except `word6` (a list's element size).
ObjectRef arena_new_object(const Handle& arena, ObjectKind kind, std::uint64_t word6,
                           const char* operation);

}  // namespace mpp::detail
