// A Manager's list: a growable array in the arena, changed only under the list's lock. Types
// whose encoding has a fixed size (trivially copyable ones, shared objects) sit in the array
// itself, so get is one Get and to_vector one Get of the whole array; others are encoded into
// blocks of their own, named by Slot records {offset, bytes} in the array.
#include <algorithm>
#include <cstring>
#include <string>

#include "manager_arena.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

std::uint32_t checked_bytes(const char* operation, std::size_t bytes) {
  if (bytes > UINT32_MAX)
    throw ValueError(std::string(operation) + ": an element of " + std::to_string(bytes) +
                     " bytes exceeds the 4 GiB a list element may hold");
  return static_cast<std::uint32_t>(bytes);
}

}  // namespace

ListSession::ListSession(const ObjectRef& ref, const char* operation)
    : ObjectSession(ref, ObjectKind::list, operation) {}

std::uint64_t ListSession::size() const { return field(list_size_word); }

std::uint64_t ListSession::record_bytes() const {
  const std::uint64_t fixed = field(list_element_word);
  return fixed != 0 ? fixed : sizeof(Slot);
}

std::uint64_t ListSession::record_at(std::uint64_t i) const {
  return field(list_data_word) + i * record_bytes();
}

std::uint64_t ListSession::index(std::ptrdiff_t i) const {
  const auto n = static_cast<std::ptrdiff_t>(size());
  const std::ptrdiff_t at = i < 0 ? i + n : i;
  if (at < 0 || at >= n)
    throw IndexError(
        std::string(operation_) + ": index " + std::to_string(i) +
        " out of range for a list of size " + std::to_string(n) +
        (n == 0 ? "" : " (valid: " + std::to_string(-n) + " to " + std::to_string(n - 1) + ")"));
  return static_cast<std::uint64_t>(at);
}

Bytes ListSession::get(std::uint64_t i) {
  if (const std::uint64_t fixed = field(list_element_word); fixed != 0) {
    Bytes element(fixed);
    read_bytes(ref_.arena, record_at(i), element.data(), fixed);
    return element;
  }
  Slot r;
  read_bytes(ref_.arena, record_at(i), &r, sizeof r);
  Bytes element(r.bytes);
  read_bytes(ref_.arena, r.offset, element.data(), r.bytes);
  return element;
}

void ListSession::set(std::uint64_t i, const Bytes& element) {
  if (field(list_element_word) != 0) {
    write_bytes(ref_.arena, record_at(i), element.data(), element.size());
    return;
  }
  Slot old;
  read_bytes(ref_.arena, record_at(i), &old, sizeof old);
  Slot r{old.offset, checked_bytes(operation_, element.size()), 0};
  if (!same_arena_block(element.size(), old.bytes))
    r.offset = arena_allocate(ref_.arena, element.size(), operation_);
  write_bytes(ref_.arena, r.offset, element.data(), element.size());
  if (r.offset != old.offset || r.bytes != old.bytes)
    write_bytes(ref_.arena, record_at(i), &r, sizeof r);
  if (r.offset != old.offset) arena_free(ref_.arena, {{old.offset, old.bytes}});
}

// Doubles the array (from 8), so appends cost amortised constant copying.
void ListSession::grow() {
  const std::uint64_t old_capacity = field(list_capacity_word), old_data = field(list_data_word);
  const std::uint64_t capacity = std::max<std::uint64_t>(8, old_capacity * 2);
  const std::uint64_t data = arena_allocate(ref_.arena, capacity * record_bytes(), operation_);
  if (size() > 0) {
    Bytes records(size() * record_bytes());
    read_bytes(ref_.arena, old_data, records.data(), records.size());
    write_bytes(ref_.arena, data, records.data(), records.size());
  }
  field(list_capacity_word) = capacity;
  field(list_data_word) = data;
  write_fields();
  if (old_capacity > 0) arena_free(ref_.arena, {{old_data, old_capacity * record_bytes()}});
}

void ListSession::append(const Bytes& element) {
  if (size() == field(list_capacity_word)) grow();
  if (field(list_element_word) != 0) {
    write_bytes(ref_.arena, record_at(size()), element.data(), element.size());
  } else {
    const Slot r{arena_allocate(ref_.arena, element.size(), operation_),
                 checked_bytes(operation_, element.size()), 0};
    write_bytes(ref_.arena, r.offset, element.data(), element.size());
    write_bytes(ref_.arena, record_at(size()), &r, sizeof r);
  }
  ++field(list_size_word);
  write_fields();
}

Bytes ListSession::all() {
  Bytes records(size() * record_bytes());
  if (records.empty()) return records;
  read_bytes(ref_.arena, field(list_data_word), records.data(), records.size());
  if (field(list_element_word) != 0) return records;
  Bytes out;
  for (std::uint64_t i = 0; i < size(); ++i) {
    Slot r;
    std::memcpy(&r, records.data() + i * sizeof r, sizeof r);
    const std::size_t at = out.size();
    out.resize(at + r.bytes);
    read_bytes(ref_.arena, r.offset, out.data() + at, r.bytes);
  }
  return out;
}

std::vector<ArenaBlock> ListSession::release() {
  std::vector<ArenaBlock> blocks;
  if (field(list_capacity_word) > 0)
    blocks.push_back({field(list_data_word), field(list_capacity_word) * record_bytes()});
  if (field(list_element_word) == 0 && size() > 0) {
    std::vector<Slot> records(size());
    read_bytes(ref_.arena, field(list_data_word), records.data(), records.size() * sizeof(Slot));
    for (const Slot& r : records) blocks.push_back({r.offset, r.bytes});
  }
  retire();
  return blocks;
}

}  // namespace mpp::detail
