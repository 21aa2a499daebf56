// mpp::Manager and what its dicts and lists share: the locked session over an object's
// header, the lifetime of objects in the arena, and the errors.
#include "mpp/manager.hpp"

#include <string>
#include <utility>

#include "manager_arena.hpp"
#include "runtime_state.hpp"

namespace mpp {
namespace detail {
namespace {

// The last owning copy on the Manager's rank is gone: give the object's memory back, unless
// the Manager already took the whole arena with it.
void free_object(const ObjectRef& ref, ObjectKind kind) noexcept {
  try {
    if (!runtime().active || !is_live(ref.arena)) return;
    const std::vector<ArenaBlock> blocks = kind == ObjectKind::dict
                                               ? DictSession(ref, "freeing a dict").release()
                                               : ListSession(ref, "freeing a list").release();
    arena_free(ref.arena, blocks, ref.offset);
  } catch (const std::exception& e) {
    log(LogLevel::warn, std::string("mpp: a Manager's object was not freed: ") + e.what());
  }
}

const char* kind_name(std::uint64_t kind) {
  return kind == static_cast<std::uint64_t>(ObjectKind::dict) ? "dict" : "list";
}

}  // namespace

std::size_t default_manager_arena() { return runtime().config.manager_arena; }

ManagedObject make_managed_object(const Handle& arena, ObjectKind kind, std::uint64_t element_size,
                                  const char* operation) {
  const ObjectRef ref = arena_new_object(arena, kind, element_size, operation);
  return {ref, BlockOwner(nullptr, [ref, kind](void*) { free_object(ref, kind); })};
}

void check_manager_alive(const ObjectRef& ref, const char* operation) {
  if (!ref.arena.valid() || !is_live(ref.arena))
    throw RuntimeError(std::string(operation) + ": its Manager was shut down (the arena on rank " +
                       std::to_string(ref.arena.rank) +
                       " that held this object is freed); keep the Manager alive while its "
                       "dicts and lists are in use");
}

void key_error(const char* operation, const std::string& key) {
  throw KeyError(std::string(operation) + ": key " + key +
                 " is not in the dict; check contains(key) first, or use get(key, default)");
}

ObjectSession::ObjectSession(const ObjectRef& ref, ObjectKind kind, const char* operation)
    : ref_(ref),
      operation_(operation),
      lock_(RLock::at(ref.arena, ref.offset, nullptr)),
      held_(lock_, std::defer_lock) {
  check_manager_alive(ref, operation);
  // Re-entering would hand the caller's half-done update a table changed under it.
  if (lock_.is_owned())
    throw RuntimeError(std::string(operation) +
                       ": called from the function passed to update() on the same object; "
                       "that function must compute from its argument only");
  held_.lock();
  read_bytes(ref_.arena, ref_.offset, header_.data(), sizeof header_);
  if (header_[tag_word] != ref_.tag)
    throw RuntimeError(std::string(operation) + ": this " +
                       kind_name(static_cast<std::uint64_t>(kind)) +
                       " was freed: its last copy on rank " + std::to_string(ref_.arena.rank) +
                       " (its Manager's rank) went away; keep a copy there while others use it");
  if (header_[kind_word] != static_cast<std::uint64_t>(kind))
    throw Error(std::string(operation) + ": the handle names a " + kind_name(header_[kind_word]) +
                ", not a " + kind_name(static_cast<std::uint64_t>(kind)));
}

void ObjectSession::write_fields() {
  write_bytes(ref_.arena, ref_.offset + 3 * 8, header_.data() + 3, 5 * 8);
}

void ObjectSession::retire() {
  header_[tag_word] = 0;
  write_bytes(ref_.arena, ref_.offset + tag_word * 8, &header_[tag_word], 8);
}

}  // namespace detail

Manager::Manager() : Manager(detail::default_manager_arena()) {}

Manager::Manager(std::size_t arena_bytes) : arena_(detail::make_manager_arena(arena_bytes)) {}

Manager::~Manager() { shutdown(); }

Manager::Manager(Manager&& other) noexcept : arena_(std::exchange(other.arena_, {})) {}

Manager& Manager::operator=(Manager&& other) noexcept {
  if (this != &other) {
    shutdown();
    arena_ = std::exchange(other.arena_, {});
  }
  return *this;
}

void Manager::shutdown() noexcept {
  if (!arena_.valid()) return;
  detail::heap_free(arena_);
  arena_ = {};
}

mpp::Lock Manager::Lock() {
  arena("Manager.Lock");
  return mpp::Lock();
}

mpp::RLock Manager::RLock() {
  arena("Manager.RLock");
  return mpp::RLock();
}

const detail::Handle& Manager::arena(const char* operation) const {
  if (!arena_.valid())
    throw RuntimeError(std::string(operation) +
                       ": the Manager was shut down (or moved from); create a new Manager");
  return arena_;
}

}  // namespace mpp
