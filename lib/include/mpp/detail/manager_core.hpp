#pragma once
// The non-template half of the Manager's dict and list: objects in a Manager's arena, reached
// through locked sessions that speak in encoded bytes (lib/src/manager*.cpp). The templates in
// manager.hpp encode and decode; everything that touches the arena is here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/codec.hpp"
#include "mpp/detail/heap.hpp"
#include "mpp/rlock.hpp"

namespace mpp::detail {

enum class ObjectKind : std::uint64_t { dict = 1, list = 2 };

/// Names one dict or list: the arena (a block of the Manager's rank) and the object's header
/// inside it. The tag changes when the header is reused, so a proxy of a freed object is caught.
struct ObjectRef {
  Handle arena;
  std::uint64_t offset = 0;
  std::uint64_t tag = 0;
};

/// A block of an arena: where it starts and the bytes asked for (its size class follows).
struct ArenaBlock {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
};

/// An object made on this rank, with the ownership that frees it into the arena.
struct ManagedObject {
  ObjectRef ref;
  BlockOwner owner;
};

/// Allocates and fills the arena of a Manager on this rank; local.
Handle make_manager_arena(std::size_t bytes);
/// The arena size when none is given: MPP_MANAGER_ARENA, 16 MiB by default.
std::size_t default_manager_arena();
/// A new, empty object in `arena`; its last owning copy frees it (if the arena still lives).
/// `element_size`: a list's fixed element size, 0 when elements vary.
ManagedObject make_managed_object(const Handle& arena, ObjectKind kind, std::uint64_t element_size,
                                  const char* operation);
/// Raises mpp::RuntimeError when the arena of `ref` was freed (its Manager shut down).
void check_manager_alive(const ObjectRef& ref, const char* operation);
[[noreturn]] void key_error(const char* operation, const std::string& key);

/// Holds an object's lock for its lifetime, with the object's 64-byte header read once.
class ObjectSession {
 public:
  ObjectSession(const ObjectSession&) = delete;
  ObjectSession& operator=(const ObjectSession&) = delete;

 protected:
  ObjectSession(const ObjectRef& ref, ObjectKind kind, const char* operation);
  ~ObjectSession() = default;
  std::uint64_t& field(std::size_t word) { return header_[word]; }
  std::uint64_t field(std::size_t word) const { return header_[word]; }
  void write_fields();  // words 3 to 7, after a change
  void retire();        // marks the object freed: its proxies raise from now on

  ObjectRef ref_;
  const char* operation_;

 private:
  RLock lock_;
  std::unique_lock<RLock> held_;
  std::array<std::uint64_t, 8> header_{};
};

/// One slot of a dict's hash table, or one record of a list whose elements vary in size.
struct Slot {
  std::uint64_t offset = 0;  // of the entry in the arena; 0 empty, 1 erased (dict)
  std::uint32_t bytes = 0;
  std::uint32_t hash = 0;
};

/// A dict, locked: an open-addressing table of Slots over entries [seq][key length][key][value].
class DictSession : public ObjectSession {
 public:
  DictSession(const ObjectRef& ref, const char* operation);
  /// The value stored under `key`, or nothing.
  std::optional<Bytes> find(const Bytes& key);
  void assign(const Bytes& key, const Bytes& value);
  /// False when `key` is absent.
  bool erase(const Bytes& key);
  std::uint64_t size() const;
  /// Every (key, value), in insertion order (as Python's dict).
  std::vector<std::pair<Bytes, Bytes>> items();
  /// Retires the dict and returns its blocks, to be freed.
  std::vector<ArenaBlock> release();

 private:
  struct Probe {
    bool found = false;
    bool reuses_erased = false;  // the free slot found had held an erased key
    std::uint64_t index = 0;     // the key's slot, or where it would go
    std::uint32_t hash = 0;
    Slot slot;
    Bytes entry;
  };
  Probe& probe(const Bytes& key);
  void search(const Bytes& key, Probe& p);
  void replace(Probe& p, const Bytes& key, const Bytes& value);
  void rehash(std::uint64_t live);
  void write_slot(std::uint64_t index, const Slot& slot);
  Bytes make_entry(std::uint64_t seq, const Bytes& key, const Bytes& value) const;

  std::optional<std::pair<Bytes, Probe>> last_;  // the last probe, while the table is unchanged
};

/// A list, locked: an array of fixed-size elements, or of Slots naming encoded elements.
class ListSession : public ObjectSession {
 public:
  ListSession(const ObjectRef& ref, const char* operation);
  std::uint64_t size() const;
  /// Python's index rules: negative counts from the end. Raises mpp::IndexError.
  std::uint64_t index(std::ptrdiff_t i) const;
  Bytes get(std::uint64_t i);
  void set(std::uint64_t i, const Bytes& element);
  void append(const Bytes& element);
  /// Every element's encoding, one after the other.
  Bytes all();
  /// Retires the list and returns its blocks, to be freed.
  std::vector<ArenaBlock> release();

 private:
  std::uint64_t record_bytes() const;
  std::uint64_t record_at(std::uint64_t i) const;
  void grow();
};

template <class T>
concept StreamPrintable = requires(std::ostream& os, const T& value) {
  os << value;
};

/// How a KeyError names a key: quoted if it is text, printed if it can be, else a placeholder.
template <class K>
std::string describe_key(const K& key) {
  if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return "'" + std::string(std::string_view(key)) + "'";
  } else if constexpr (StreamPrintable<K>) {
    std::ostringstream out;
    out << key;
    return out.str();
  } else {
    return "(key not printable)";
  }
}

/// The fixed size of T's encoding, or 0 when it varies.
template <class T>
constexpr std::uint64_t fixed_encoding_size() {
  if constexpr (SharedObject<T>)
    return sizeof(typename T::State);
  else if constexpr (Bitwise<T>)
    return sizeof(T);
  else
    return 0;
}

template <class T>
Bytes encode_one(const T& value) {
  Bytes out;
  encode(out, value);
  return out;
}

template <class T>
T decode_one(const Bytes& bytes) {
  Reader in(bytes);
  return decode<T>(in);
}

}  // namespace mpp::detail
