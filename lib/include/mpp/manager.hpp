#pragma once
/// @file manager.hpp
/// @brief mpp::Manager, Python's multiprocessing.Manager(): a dict and a list shared by every
/// rank, and the synchronisation objects, with no server process.
///
/// @code
/// void count(mpp::DictProxy<std::string, long> d) {
///   for (int i = 0; i < 100; ++i) d.update("hits", [](long n) { return n + 1; });  // atomic
/// }
/// mpp::Manager m;                                      // an arena in this rank's heap
/// auto d = m.dict<std::string, long>();
/// auto l = m.list<std::vector<double>>();
/// mpp::submit_to(1, count, d).get();
/// d.set("misses", 3);  l.append({1.5, 2.5});
/// long hits = d.get("hits");                           // mpp::KeyError if absent
/// long none = d.get("absent", 0L);                     // Python's d.get(key, default)
/// m.shutdown();                                        // or at the end of m's scope
/// @endcode
///
/// Python's Manager starts a server process that holds the objects and answers every proxy
/// call by message. mpp has no server: the Manager allocates an *arena*, one block of its own
/// rank's heap (`arena_bytes`, default `MPP_MANAGER_ARENA`, 16 MiB), and every dict and list it
/// makes lives inside it. A proxy is a handle (arena, object); any rank and thread works on
/// the object directly with RMA byte copies under the object's lock (an mpp::RLock in its
/// header), so nothing waits for the Manager's rank to answer. The arena has its own allocator
/// (blocks in power-of-two sizes, a free list per size, metadata in the arena under the
/// arena's lock), so a rank that is not the Manager's can still grow a dict or a list.
///
/// Semantics, as in Python: every call on a dict or list is atomic (one lock holding); keys
/// and values are copies (get returns a copy, changing it changes nothing shared); `update`
/// applies a function atomically. Any type the codec sends works as key, value or element
/// (trivially copyable types bit for bit, others through Boost.Serialization, shared objects
/// such as mpp::Value as handles). Keys are equal when their *encodings* are equal, and hashed
/// as `std::hash<std::string_view>` over those bytes: the usual key types (integers, strings,
/// tuples, vectors) behave as expected; a double key 0.0 differs from -0.0.
///
/// Lifetimes: the Manager owns its arena and is move-only; shutdown() or its destructor frees
/// the arena, after which every proxy of its objects raises mpp::RuntimeError (Python's proxies
/// fail too once the manager is gone). A dict or list is freed back into the arena when its last
/// copy on the Manager's rank goes away, as Value's memory is; proxies on other ranks own nothing.
/// `Lock()`, `RLock()`, `Value<T>()` and `Queue<T>()` return the ordinary mpp::Lock, mpp::RLock,
/// mpp::Value<T> and mpp::Queue<T>: those already live in the shared heap and need no arena, so
/// they are not ended by shutdown().
///
/// Every call is local (no collective). Calls on a dict or list wait for its lock (FIFO) and
/// have no timeout form: the lock is held only for the call itself.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/manager_core.hpp"
#include "mpp/errors.hpp"
#include "mpp/lock.hpp"
#include "mpp/queue.hpp"
#include "mpp/rlock.hpp"
#include "mpp/value.hpp"

namespace mpp {

class Manager;

/// @brief A dict in a Manager's arena (Python's DictProxy); a handle, pass it to tasks.
template <class K, class V>
class DictProxy {
  static_assert(!detail::Bitwise<K> || std::has_unique_object_representations_v<K> ||
                    std::is_floating_point_v<K>,
                "mpp::DictProxy: a trivially copyable key is compared byte by byte, and this "
                "type has padding bytes that could differ between equal keys: remove the "
                "padding or use a std::tuple key");

 public:
  struct State {
    detail::ObjectRef ref;
  };

  /// @brief The value under `key`. @throws mpp::KeyError naming the key if it is absent.
  V get(const K& key) const {
    std::optional<detail::Bytes> value = find("DictProxy.get", key);
    if (!value) detail::key_error("DictProxy.get", detail::describe_key(key));
    return detail::decode_one<V>(*value);
  }
  /// @brief The value under `key`, or `fallback` if it is absent (Python's get(key, default)).
  V get(const K& key, const V& fallback) const {
    std::optional<detail::Bytes> value = find("DictProxy.get", key);
    return value ? detail::decode_one<V>(*value) : fallback;
  }
  /// @brief Python's `d[key] = value`.
  /// @throws mpp::MemoryError if the Manager's arena cannot hold it.
  void set(const K& key, const V& value) {
    const detail::Bytes k = detail::encode_one(key), v = detail::encode_one(value);
    detail::DictSession(ref_, "DictProxy.set").assign(k, v);
  }
  /// @brief Python's `key in d`.
  bool contains(const K& key) const { return find("DictProxy.contains", key).has_value(); }
  /// @brief Python's `del d[key]`. @throws mpp::KeyError naming the key if it is absent.
  void erase(const K& key) {
    const detail::Bytes k = detail::encode_one(key);
    if (!detail::DictSession(ref_, "DictProxy.erase").erase(k))
      detail::key_error("DictProxy.erase", detail::describe_key(key));
  }
  std::size_t size() const {
    return static_cast<std::size_t>(detail::DictSession(ref_, "DictProxy.size").size());
  }

  /// @brief Replaces the value under `key` by `fn(value)` atomically and returns it; a missing
  /// key counts as `start` (V{} unless given), so `d.update(k, [](long n) { return n + 1; })`
  /// counts. `fn` runs on the calling rank while the dict's lock is held: keep it short, and
  /// do not use this dict inside it (mpp::RuntimeError). If `fn` throws, nothing changes.
  template <class F>
  V update(const K& key, F&& fn, const V& start = V{}) {
    static_assert(
        std::is_invocable_v<F&, V> && std::is_convertible_v<std::invoke_result_t<F&, V>, V>,
        "DictProxy.update(key, fn): fn takes the current value (a V) and returns "
        "the new one");
    const detail::Bytes k = detail::encode_one(key);
    detail::DictSession s(ref_, "DictProxy.update");
    const std::optional<detail::Bytes> old = s.find(k);
    V next = std::invoke(fn, old ? detail::decode_one<V>(*old) : start);
    s.assign(k, detail::encode_one(next));
    return next;
  }

  /// @brief The keys, in insertion order (a snapshot taken under the lock).
  std::vector<K> keys() const {
    std::vector<K> out;
    for (const auto& [k, v] : snapshot("DictProxy.keys")) out.push_back(detail::decode_one<K>(k));
    return out;
  }
  /// @brief The values, in insertion order of their keys.
  std::vector<V> values() const {
    std::vector<V> out;
    for (const auto& [k, v] : snapshot("DictProxy.values")) out.push_back(detail::decode_one<V>(v));
    return out;
  }
  /// @brief The (key, value) pairs, in insertion order.
  std::vector<std::pair<K, V>> items() const {
    std::vector<std::pair<K, V>> out;
    for (const auto& [k, v] : snapshot("DictProxy.items"))
      out.emplace_back(detail::decode_one<K>(k), detail::decode_one<V>(v));
    return out;
  }

  State state() const { return {ref_}; }
  static DictProxy from_state(const State& state) {
    detail::check_manager_alive(state.ref, "DictProxy");
    return DictProxy(detail::ManagedObject{state.ref, nullptr});
  }

 private:
  friend class Manager;
  explicit DictProxy(detail::ManagedObject object)
      : ref_(object.ref), owner_(std::move(object.owner)) {}

  std::optional<detail::Bytes> find(const char* operation, const K& key) const {
    const detail::Bytes k = detail::encode_one(key);
    return detail::DictSession(ref_, operation).find(k);
  }
  std::vector<std::pair<detail::Bytes, detail::Bytes>> snapshot(const char* operation) const {
    return detail::DictSession(ref_, operation).items();
  }

  detail::ObjectRef ref_;
  detail::BlockOwner owner_;
};

/// @brief A growable list in a Manager's arena (Python's ListProxy); a handle, pass it to tasks.
/// Indices follow Python: negative ones count from the end.
template <class T>
class ListProxy {
 public:
  struct State {
    detail::ObjectRef ref;
  };

  /// @brief Adds `value` at the end. @throws mpp::MemoryError if the arena cannot hold it.
  void append(const T& value) {
    const detail::Bytes b = detail::encode_one(value);
    detail::ListSession(ref_, "ListProxy.append").append(b);
  }
  /// @brief Appends every value, atomically (no other call sees part of them).
  void extend(const std::vector<T>& values) {
    std::vector<detail::Bytes> encoded;
    for (const T& v : values) encoded.push_back(detail::encode_one(v));
    detail::ListSession s(ref_, "ListProxy.extend");
    for (const detail::Bytes& b : encoded) s.append(b);
  }
  /// @brief Element `i`. @throws mpp::IndexError naming the index and the size.
  T get(std::ptrdiff_t i) const {
    detail::Bytes b;
    {
      detail::ListSession s(ref_, "ListProxy.get");
      b = s.get(s.index(i));
    }
    return detail::decode_one<T>(b);
  }
  /// @brief Python's `l[i] = value`. @throws mpp::IndexError naming the index and the size.
  void set(std::ptrdiff_t i, const T& value) {
    const detail::Bytes b = detail::encode_one(value);
    detail::ListSession s(ref_, "ListProxy.set");
    s.set(s.index(i), b);
  }
  std::size_t size() const {
    return static_cast<std::size_t>(detail::ListSession(ref_, "ListProxy.size").size());
  }
  /// @brief Every element, as one snapshot taken under the lock.
  std::vector<T> to_vector() const {
    detail::Bytes all;
    std::uint64_t n = 0;
    {
      detail::ListSession s(ref_, "ListProxy.to_vector");
      n = s.size();
      all = s.all();
    }
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(n));
    detail::Reader in(all);
    for (std::uint64_t i = 0; i < n; ++i) out.push_back(detail::decode<T>(in));
    return out;
  }

  State state() const { return {ref_}; }
  static ListProxy from_state(const State& state) {
    detail::check_manager_alive(state.ref, "ListProxy");
    return ListProxy(detail::ManagedObject{state.ref, nullptr});
  }

 private:
  friend class Manager;
  explicit ListProxy(detail::ManagedObject object)
      : ref_(object.ref), owner_(std::move(object.owner)) {}

  detail::ObjectRef ref_;
  detail::BlockOwner owner_;
};

/// @brief Python's multiprocessing.Manager(); see the file comment. Move-only: it owns its
/// arena.
class Manager {
 public:
  /// @brief An arena of MPP_MANAGER_ARENA bytes (default 16 MiB) in this rank's heap; local.
  /// @throws mpp::MemoryError if the heap cannot hold it (raise MPP_HEAP_SIZE or ask for less).
  Manager();
  /// @brief An arena of `arena_bytes` (at least 4096).
  /// @throws mpp::ValueError if it is smaller; mpp::MemoryError as above.
  explicit Manager(std::size_t arena_bytes);
  /// @brief shutdown().
  ~Manager();
  Manager(Manager&& other) noexcept;
  Manager& operator=(Manager&& other) noexcept;
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  /// @brief Frees the arena: the dicts and lists made here end, and their proxies raise
  /// mpp::RuntimeError. Idempotent; local.
  void shutdown() noexcept;
  /// @brief False after shutdown() (or once moved from).
  bool running() const noexcept { return arena_.valid(); }
  std::size_t arena_size() const noexcept { return static_cast<std::size_t>(arena_.size); }

  /// @brief An empty dict. @throws mpp::RuntimeError after shutdown(); mpp::MemoryError.
  template <class K, class V>
  DictProxy<K, V> dict() {
    return DictProxy<K, V>(detail::make_managed_object(
        arena("Manager.dict"), detail::ObjectKind::dict, 0, "Manager.dict"));
  }
  /// @brief A dict holding `init` (Python's `m.dict(mapping)`).
  template <class K, class V>
  DictProxy<K, V> dict(const std::map<K, V>& init) {
    DictProxy<K, V> d = dict<K, V>();
    for (const auto& [k, v] : init) d.set(k, v);
    return d;
  }
  /// @brief An empty list. @throws mpp::RuntimeError after shutdown(); mpp::MemoryError.
  template <class T>
  ListProxy<T> list() {
    return ListProxy<T>(detail::make_managed_object(arena("Manager.list"), detail::ObjectKind::list,
                                                    detail::fixed_encoding_size<T>(),
                                                    "Manager.list"));
  }
  /// @brief A list holding `init` (Python's `m.list(sequence)`).
  template <class T>
  ListProxy<T> list(const std::vector<T>& init) {
    ListProxy<T> l = list<T>();
    l.extend(init);
    return l;
  }

  /// @brief An mpp::Lock (not in the arena: see the file comment).
  mpp::Lock Lock();
  /// @brief An mpp::RLock (not in the arena).
  mpp::RLock RLock();
  /// @brief An mpp::Value<T> holding `init`, with a lock (not in the arena).
  template <class T>
  mpp::Value<T> Value(T init = T{}) {
    arena("Manager.Value");
    return mpp::Value<T>(init);
  }
  /// @brief An mpp::Queue<T> of at most `maxsize` items (0: no limit), not in the arena.
  template <class T>
  mpp::Queue<T> Queue(std::size_t maxsize = 0) {
    arena("Manager.Queue");
    return mpp::Queue<T>(maxsize);
  }

 private:
  // The arena, or mpp::RuntimeError naming `operation` once shut down.
  const detail::Handle& arena(const char* operation) const;

  detail::Handle arena_;
};

}  // namespace mpp
