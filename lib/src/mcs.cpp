// The MCS queue lock on RMA atomics and the pool of queue nodes (see detail/mcs.hpp).
#include "mpp/detail/mcs.hpp"

#include <mutex>
#include <vector>

#include "mpp/detail/heap.hpp"
#include "mpp/runtime.hpp"

namespace mpp::detail {
namespace {

// Nodes of this rank. A thread keeps a few free ones of its own, so taking and retiring a
// node costs no lock; the rest wait in the rank's pool. A node retired by a thread of another
// rank cannot reach these lists: that thread marks it reclaimed, and take_node() looks for such
// nodes among all of the rank's nodes before it makes a new one.
struct NodePool {
  std::mutex mutex;
  std::vector<NodeId> free;
  std::vector<NodeId> all;
};

NodePool& pool() {
  static NodePool instance;
  return instance;
}

constexpr std::size_t thread_cache_size = 8;

struct ThreadNodes {
  std::vector<NodeId> free;
  ~ThreadNodes() {
    // The thread ends (a process, a pool worker): its spare nodes go back to the rank.
    NodePool& p = pool();
    std::lock_guard guard(p.mutex);
    p.free.insert(p.free.end(), free.begin(), free.end());
  }
};

thread_local ThreadNodes thread_nodes;

NodeId id_of(int rank, std::uint64_t offset) {
  return (static_cast<std::uint64_t>(rank) + 1) << 32 | offset >> 4;
}

int rank_of(NodeId node) { return static_cast<int>((node >> 32) - 1); }

}  // namespace

Handle node_block(NodeId node) {
  return block_at(rank_of(node), (node & 0xffffffffu) << 4, node_bytes);
}

std::uint64_t wait_on_node(const Handle& node, std::size_t off, std::uint64_t value,
                           const Deadline& deadline) {
  std::uint64_t seen = value;
  unsigned polls = 0;
  // A poll of this rank's own memory is a CPU load: repeat it after every pause of the spin
  // phase, so that a hand-over is seen within tens of nanoseconds.
  const bool own = node.rank == mpp::rank();
  const bool changed = wait_until(
      [&] {
        seen = ++polls % 16 == 0 ? atomic_load<std::uint64_t>(node, off) : load_own_word(node, off);
        return seen != value;
      },
      deadline, Backoff(own ? 1 : 16));
  return changed ? seen : 0;
}

NodeId take_node() {
  if (!thread_nodes.free.empty()) {
    const NodeId node = thread_nodes.free.back();
    thread_nodes.free.pop_back();
    return node;
  }
  NodePool& p = pool();
  // The mutex is held across the scan's atomics: they read this rank's own memory and finish
  // at once, and the scan is rare (only when no node is free).
  std::lock_guard guard(p.mutex);
  if (p.free.empty()) {
    for (NodeId node : p.all) {
      const Handle h = node_block(node);
      if (load_own_word(h, node_flag) == node_reclaimed) {
        // A reclaimed node must not look reclaimed while it is in use again.
        store_own_word(h, node_flag, node_wait);
        p.free.push_back(node);
      }
    }
  }
  if (!p.free.empty()) {
    const NodeId node = p.free.back();
    p.free.pop_back();
    return node;
  }
  const Handle h = heap_allocate(node_bytes);  // zero-filled: next = 0
  const NodeId node = id_of(h.rank, h.offset);
  p.all.push_back(node);
  return node;
}

void retire_node(NodeId node, bool next_dirty) {
  const Handle h = node_block(node);
  if (next_dirty) store_own_word(h, node_next, 0);  // an RMA store if the node is another rank's
  if (rank_of(node) != mpp::rank()) {
    atomic_store<std::uint64_t>(h, node_flag, node_reclaimed);
    return;
  }
  if (thread_nodes.free.size() < thread_cache_size) {
    thread_nodes.free.push_back(node);
    return;
  }
  NodePool& p = pool();
  std::lock_guard guard(p.mutex);
  p.free.push_back(node);
}

NodeId mcs_acquire(const Handle& lock, std::uint64_t offset, bool block, const Deadline& deadline) {
  const NodeId me = take_node();
  if (!block) {
    if (atomic_compare_swap<std::uint64_t>(lock, offset, 0, me) == 0) return me;
    retire_node(me, false);
    return 0;
  }
  const NodeId pred = atomic_swap<std::uint64_t>(lock, offset, me);
  if (pred == 0) return me;  // the lock was free: no node flag to touch at all
  const Handle mine = node_block(me);
  // The flag is set before the predecessor can know this node: it learns of it only from
  // the store into its `next` word below.
  store_own_word(mine, node_flag, node_wait);
  atomic_store<std::uint64_t>(node_block(pred), node_next, me);
  if (wait_on_node(mine, node_flag, node_wait, deadline) != 0) return me;
  // Timed out. Leaving the middle of the queue is not possible with one atomic, so the node
  // stays and says it was abandoned; unless the releaser handed over in the meantime.
  if (atomic_compare_swap<std::uint64_t>(mine, node_flag, node_wait, node_abandoned) == node_wait)
    return 0;
  return me;
}

void mcs_release(const Handle& lock, std::uint64_t offset, NodeId node) {
  NodeId current = node;
  for (;;) {
    const Handle h = node_block(current);
    // A successor that already linked itself is seen in this rank's own memory: no need to
    // touch the lock word at all.
    NodeId next = load_own_word(h, node_next);
    if (next == 0) {
      // No one queued behind: the lock becomes free.
      if (atomic_compare_swap<std::uint64_t>(lock, offset, current, 0) == current) {
        retire_node(current, false);
        return;
      }
      // Someone swapped itself in at the tail; it links itself to us right after.
      next = wait_on_node(h, node_next, 0, Deadline{});
    }
    const bool handed_over = atomic_compare_swap<std::uint64_t>(node_block(next), node_flag,
                                                                node_wait, node_go) == node_wait;
    // Only now: the waiter should not wait for this node's bookkeeping.
    retire_node(current, true);
    if (handed_over) return;
    current = next;  // it gave up waiting: release on its behalf, to whoever follows it
  }
}

}  // namespace mpp::detail
