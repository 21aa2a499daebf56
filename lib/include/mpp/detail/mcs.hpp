#pragma once
// The queue lock under mpp::Lock, mpp::RLock and mpp::Condition: an MCS lock (Mellor-Crummey
// and Scott, 1991) on RMA atomics. The lock is one word, the tail of a queue of nodes; each
// waiter waits on a flag in its own node, in its own rank's heap, so waiting never loads the
// lock's home rank, and the queue order makes the lock FIFO. Implemented in lib/src/mcs.cpp.

#include <cstddef>
#include <cstdint>

#include "mpp/detail/backoff.hpp"
#include "mpp/detail/handle.hpp"

namespace mpp::detail {

/// Names a queue node by rank and heap offset in one word, so that a single atomic swap can
/// put it at the tail: (rank + 1) << 32 | offset / 16. 0 names no node.
using NodeId = std::uint64_t;

/// A node is two words in a heap block of the rank of the thread that uses it.
inline constexpr std::size_t node_next = 0;  // NodeId of the waiter queued behind (0: none yet)
inline constexpr std::size_t node_flag = 8;  // what the waiter waits for
inline constexpr std::size_t node_bytes = 16;
enum NodeFlag : std::uint64_t {
  node_wait = 0,       // queued, waiting
  node_go = 1,         // the predecessor handed over (Condition: notified)
  node_abandoned = 2,  // the waiter timed out and left; whoever meets the node passes it by
  node_reclaimed = 3,  // a thread of another rank finished with it: its rank may reuse it
};

/// A node from this rank's pool, its `next` word 0; nodes are made on demand and kept for
/// the whole run. Each acquisition takes its own node, so several threads of a rank (processes,
/// pool workers) queue independently. Local; no RMA operation unless the pool must grow.
NodeId take_node();
/// Hands a node back to the pool of its rank once nobody will touch it again. `next_dirty`:
/// its `next` word may be non-zero and is cleared first.
void retire_node(NodeId node, bool next_dirty);
/// The block holding a node.
Handle node_block(NodeId node);

/// Waits until word `off` of a node no longer holds `value`; returns what it holds then, or 0
/// when the deadline passed first. A node of this rank is read with CPU loads (see
/// load_own_word), with an MPI load every 16th poll so that MPI progresses.
std::uint64_t wait_on_node(const Handle& node, std::size_t off, std::uint64_t value,
                           const Deadline& deadline);

/// Queues this thread on the lock word at `offset` of `lock`; returns its node once it holds
/// the lock, or 0 when `block` is false and the lock is taken, or when the deadline passed
/// (the node is then marked abandoned and left in the queue: the releaser passes it by).
NodeId mcs_acquire(const Handle& lock, std::uint64_t offset, bool block, const Deadline& deadline);
/// Hands the lock held through `node` to the next waiter that has not given up, or frees it.
void mcs_release(const Handle& lock, std::uint64_t offset, NodeId node);

}  // namespace mpp::detail
