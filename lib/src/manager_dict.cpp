// A Manager's dict: open addressing with linear probing over 16-byte slots {entry offset,
// entry bytes, hash}, in the arena, changed only under the dict's lock. A slot carries the
// entry's size and hash so that a lookup reads a run of slots in one Get and then only the
// entry whose hash matches, in one Get of exactly its bytes. Entries are
// [insertion number][key length][key][value], the number giving Python's insertion order.
#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "manager_arena.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

constexpr std::size_t size_word = 3, used_word = 4, capacity_word = 5, table_word = 6,
                      seq_word = 7;             // used: live and erased slots
constexpr std::uint64_t empty = 0, erased = 1;  // slot offsets no entry can have
constexpr std::uint64_t probe_window = 8;       // slots read per Get while probing
constexpr std::uint64_t entry_prefix = 16;

// Of the encoded bytes, so that every rank (running the same executable) agrees.
std::uint32_t hash_of(const Bytes& key) {
  const std::size_t h = std::hash<std::string_view>{}(std::string_view(key.data(), key.size()));
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

struct Entry {
  std::uint64_t seq;
  std::string_view key, value;
};

Entry parse(const Bytes& entry) {
  std::uint64_t head[2];
  std::memcpy(head, entry.data(), sizeof head);
  const std::string_view all(entry.data(), entry.size());
  return {head[0], all.substr(entry_prefix, head[1]), all.substr(entry_prefix + head[1])};
}

bool live(const Slot& s) { return s.offset != empty && s.offset != erased; }

Bytes read_entry(const Handle& arena, const Slot& s) {
  Bytes entry(s.bytes);
  read_bytes(arena, s.offset, entry.data(), s.bytes);
  return entry;
}

}  // namespace

DictSession::DictSession(const ObjectRef& ref, const char* operation)
    : ObjectSession(ref, ObjectKind::dict, operation) {}

std::uint64_t DictSession::size() const { return field(size_word); }

DictSession::Probe& DictSession::probe(const Bytes& key) {
  if (!last_ || last_->first != key) {
    last_.emplace(key, Probe{});
    search(key, last_->second);
  }
  return last_->second;
}

void DictSession::search(const Bytes& key, Probe& p) {
  p.hash = hash_of(key);
  const std::uint64_t capacity = field(capacity_word);
  if (capacity == 0) return;
  const std::uint64_t mask = capacity - 1;
  bool have_free = false;
  std::array<Slot, probe_window> window;
  std::uint64_t at = p.hash & mask;
  for (std::uint64_t seen = 0; seen < capacity;) {
    const std::uint64_t n = std::min(probe_window, capacity - at);
    read_bytes(ref_.arena, field(table_word) + at * sizeof(Slot), window.data(), n * sizeof(Slot));
    for (std::uint64_t j = 0; j < n; ++j) {
      const Slot& s = window[j];
      if (!live(s)) {
        if (!have_free) p.index = at + j, p.reuses_erased = s.offset == erased, have_free = true;
        if (s.offset == empty) return;
        continue;
      }
      if (s.hash != p.hash) continue;
      Bytes entry = read_entry(ref_.arena, s);
      if (parse(entry).key == std::string_view(key.data(), key.size())) {
        p.found = true, p.index = at + j, p.slot = s, p.entry = std::move(entry);
        return;
      }
    }
    seen += n;
    at = (at + n) & mask;
  }
}

std::optional<Bytes> DictSession::find(const Bytes& key) {
  const Probe& p = probe(key);
  if (!p.found) return std::nullopt;
  const std::string_view value = parse(p.entry).value;
  return Bytes(value.begin(), value.end());
}

Bytes DictSession::make_entry(std::uint64_t seq, const Bytes& key, const Bytes& value) const {
  const std::uint64_t bytes = entry_prefix + key.size() + value.size();
  if (bytes > UINT32_MAX)
    throw ValueError(std::string(operation_) + ": a key and value of " + std::to_string(bytes) +
                     " bytes exceed the 4 GiB a dict entry may hold");
  Bytes entry(bytes);
  const std::uint64_t head[2] = {seq, key.size()};
  std::memcpy(entry.data(), head, sizeof head);
  std::copy(key.begin(), key.end(), entry.begin() + entry_prefix);
  std::copy(value.begin(), value.end(), entry.begin() + entry_prefix + key.size());
  return entry;
}

void DictSession::write_slot(std::uint64_t index, const Slot& slot) {
  write_bytes(ref_.arena, field(table_word) + index * sizeof(Slot), &slot, sizeof slot);
}

void DictSession::assign(const Bytes& key, const Bytes& value) {
  if (Probe& found = probe(key); found.found) return replace(found, key, value);
  const std::uint64_t capacity = field(capacity_word);
  if (capacity == 0 || (field(used_word) + 1) * 4 > capacity * 3) {
    rehash(field(size_word) + 1);
    last_.reset();
  }
  const Probe& p = probe(key);
  const Bytes entry = make_entry(field(seq_word), key, value);
  const Slot slot{arena_allocate(ref_.arena, entry.size(), operation_),
                  static_cast<std::uint32_t>(entry.size()), p.hash};
  write_bytes(ref_.arena, slot.offset, entry.data(), entry.size());
  write_slot(p.index, slot);  // only now can another call find the entry
  if (!p.reuses_erased) ++field(used_word);
  ++field(size_word);
  ++field(seq_word);
  write_fields();
  last_.reset();
}

// The key keeps its place in the insertion order, as in Python.
void DictSession::replace(Probe& p, const Bytes& key, const Bytes& value) {
  const Bytes entry = make_entry(parse(p.entry).seq, key, value);
  Slot slot = p.slot;
  slot.bytes = static_cast<std::uint32_t>(entry.size());
  if (!same_arena_block(entry.size(), p.slot.bytes))
    slot.offset = arena_allocate(ref_.arena, entry.size(), operation_);
  write_bytes(ref_.arena, slot.offset, entry.data(), entry.size());
  if (slot.offset != p.slot.offset || slot.bytes != p.slot.bytes) write_slot(p.index, slot);
  if (slot.offset != p.slot.offset) arena_free(ref_.arena, {{p.slot.offset, p.slot.bytes}});
  last_.reset();
}

// A table with room for `live` keys at most half full; erased slots are dropped.
void DictSession::rehash(std::uint64_t live_keys) {
  std::uint64_t capacity = 8;
  while (capacity < live_keys * 2) capacity *= 2;
  const std::uint64_t old_capacity = field(capacity_word), old_table = field(table_word);
  std::vector<Slot> old(old_capacity), table(capacity);
  if (old_capacity > 0) read_bytes(ref_.arena, old_table, old.data(), old_capacity * sizeof(Slot));
  for (const Slot& s : old) {
    if (!live(s)) continue;
    std::uint64_t at = s.hash & (capacity - 1);
    while (table[at].offset != empty) at = (at + 1) & (capacity - 1);
    table[at] = s;
  }
  const std::uint64_t offset = arena_allocate(ref_.arena, capacity * sizeof(Slot), operation_);
  write_bytes(ref_.arena, offset, table.data(), capacity * sizeof(Slot));
  field(capacity_word) = capacity;
  field(table_word) = offset;
  field(used_word) = field(size_word);
  write_fields();
  if (old_capacity > 0) arena_free(ref_.arena, {{old_table, old_capacity * sizeof(Slot)}});
}

bool DictSession::erase(const Bytes& key) {
  const Probe p = probe(key);
  last_.reset();
  if (!p.found) return false;
  std::vector<ArenaBlock> blocks{{p.slot.offset, p.slot.bytes}};
  if (--field(size_word) == 0) {  // an empty dict gives its table back
    blocks.push_back({field(table_word), field(capacity_word) * sizeof(Slot)});
    field(capacity_word) = field(table_word) = field(used_word) = 0;
  } else {
    write_slot(p.index, Slot{erased, 0, 0});
  }
  write_fields();
  arena_free(ref_.arena, blocks);
  return true;
}

std::vector<std::pair<Bytes, Bytes>> DictSession::items() {
  std::vector<Slot> table(field(capacity_word));
  if (!table.empty())
    read_bytes(ref_.arena, field(table_word), table.data(), table.size() * sizeof(Slot));
  std::vector<std::pair<std::uint64_t, std::pair<Bytes, Bytes>>> numbered;
  numbered.reserve(field(size_word));
  for (const Slot& s : table) {
    if (!live(s)) continue;
    const Bytes bytes = read_entry(ref_.arena, s);
    const Entry e = parse(bytes);
    numbered.push_back(
        {e.seq, {Bytes(e.key.begin(), e.key.end()), Bytes(e.value.begin(), e.value.end())}});
  }
  std::sort(numbered.begin(), numbered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<Bytes, Bytes>> out;
  out.reserve(numbered.size());
  for (auto& n : numbered) out.push_back(std::move(n.second));
  return out;
}

std::vector<ArenaBlock> DictSession::release() {
  std::vector<Slot> table(field(capacity_word));
  std::vector<ArenaBlock> blocks;
  if (!table.empty()) {
    read_bytes(ref_.arena, field(table_word), table.data(), table.size() * sizeof(Slot));
    blocks.push_back({field(table_word), table.size() * sizeof(Slot)});
  }
  for (const Slot& s : table)
    if (live(s)) blocks.push_back({s.offset, s.bytes});
  retire();
  return blocks;
}

}  // namespace mpp::detail
