// The byte ring: see lib/include/mpp/detail/ring.hpp.
//
// Positions count bytes from the ring's creation and never wrap (2^64 bytes), so a position
// names one record for ever and compare-and-swap on them has no ABA problem. Records start
// on 16-byte granules: [length][payload][padding]. Whether the record at a position is
// complete is told by a stamp in a separate array, one word per granule, set to position + 1
// after the payload: a stamp can only hold positions of records that started on its granule,
// and payload bytes never land in the stamp array, so no leftover can look like a new record.
#include <algorithm>
#include <cstring>
#include <string>

#include "mpp/detail/ring.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

using u64 = std::uint64_t;

// One cache line per side, so that producers and consumers on one node do not share lines.
constexpr u64 count_word = 0;        // items put and not yet taken, plus the closed bits
constexpr u64 tail_word = 64;        // end of the bytes reserved by producers
constexpr u64 head_word = 128;       // start of the bytes not yet handed back by consumers
constexpr u64 next_word = 192;       // end of the records claimed by consumers
constexpr u64 unfinished_word = 256;  // JoinableQueue: items put and not yet marked done
constexpr u64 stamps_at = 320;
constexpr u64 granule = 16;
constexpr u64 prefix = 64;  // read with the length, so that small items take one copy

constexpr u64 writer_closed = u64{1} << 63;
constexpr u64 reader_closed = u64{1} << 62;
constexpr u64 count_mask = reader_closed - 1;
constexpr u64 minus_one = ~u64{0};  // adds -1 in two's complement

u64 round_up(u64 n) { return (n + granule - 1) / granule * granule; }
u64 data_at(u64 capacity) { return stamps_at + capacity / granule * sizeof(u64); }
u64 stamp_at(u64 capacity, u64 position) {
  return stamps_at + (position / granule) % (capacity / granule) * sizeof(u64);
}

std::string name_of(RingUse use) { return use == RingUse::pipe ? "pipe" : "queue"; }

}  // namespace

Ring Ring::create(u64 capacity, u64 maxsize, RingUse use) {
  if (capacity < prefix)
    throw ValueError("a " + name_of(use) + " capacity of " + std::to_string(capacity) +
                     " bytes is too small: give mpp::capacity at least " + std::to_string(prefix));
  capacity = round_up(capacity);
  const Handle block = heap_allocate(data_at(capacity) + capacity);
  return Ring(RingState{block, capacity, maxsize, use});
}

Ring Ring::attach(const RingState& state) {
  check_live(state.block);
  return Ring(state);
}

void Ring::put(Bytes& record, bool block, const Deadline& deadline, const char* op) {
  const u64 n = record.size() - ring_record_header;
  const u64 bytes = round_up(record.size());
  if (bytes > capacity())
    throw ValueError(std::string(op) + ": an item of " + std::to_string(n) + " bytes (" +
                     std::to_string(bytes) + " with its header) is larger than the " +
                     name_of(state_.use) + "'s capacity of " + std::to_string(capacity()) +
                     " bytes: create it with mpp::capacity = " + std::to_string(bytes) +
                     " or more");
  std::memcpy(record.data(), &n, sizeof n);
  take_item_slot(block, deadline, op);
  // Counted before the item is visible, so that a consumer's task_done() never runs ahead.
  const bool joinable = state_.use == RingUse::joinable_queue;
  if (joinable) add_unfinished(1);
  u64 at = 0;
  try {
    at = reserve(bytes, block, deadline, op);
  } catch (...) {
    if (joinable) add_unfinished(-1);
    release_item_slot();
    throw;
  }
  copy_in(at, record.data(), record.size());
  // The stamp goes last: a consumer that sees it finds the whole record in place.
  atomic_store<u64>(state_.block, stamp_at(capacity(), at), at + 1);
}

void Ring::take_item_slot(bool block, const Deadline& deadline, const char* op) {
  if (maxsize() == 0) {
    const u64 before = atomic_fetch_add<u64>(state_.block, count_word, 1);
    if ((before & ~count_mask) != 0) {
      release_item_slot();
      refuse_put_if_closed(before, op);
    }
    return;
  }
  Backoff backoff;
  u64 count = atomic_load<u64>(state_.block, count_word);
  for (;;) {
    refuse_put_if_closed(count, op);
    if ((count & count_mask) < maxsize()) {
      const u64 seen = atomic_compare_swap<u64>(state_.block, count_word, count, count + 1);
      if (seen == count) return;
      count = seen;
      continue;
    }
    if (!block || deadline.passed())
      throw Full(std::string(op) + ": the queue holds its maxsize of " +
                 std::to_string(maxsize()) + " items" + (block ? " after the timeout" : ""));
    backoff.pause();
    count = atomic_load<u64>(state_.block, count_word);
  }
}

void Ring::release_item_slot() { atomic_fetch_add<u64>(state_.block, count_word, minus_one); }

u64 Ring::reserve(u64 bytes, bool block, const Deadline& deadline, const char* op) {
  Backoff backoff;
  u64 at = tail_.get();
  for (;;) {
    if (at < head_seen_.get() || at + bytes - head_seen_.get() > capacity()) {
      // Room looks short, or the hint is older than the head: look at the real counters.
      head_seen_.set(atomic_load<u64>(state_.block, head_word));
      if (at < head_seen_.get()) {
        at = atomic_load<u64>(state_.block, tail_word);
        continue;
      }
      if (at + bytes - head_seen_.get() > capacity()) {
        if (!block || deadline.passed())
          throw Full(std::string(op) + ": no room for " + std::to_string(bytes) + " bytes in the " +
                     name_of(state_.use) + "'s " + std::to_string(capacity()) + " bytes" +
                     (block ? " after the timeout" : "") +
                     ": consumers are behind; wait, or give a larger mpp::capacity");
        backoff.pause();
        at = atomic_load<u64>(state_.block, tail_word);
        continue;
      }
    }
    const u64 seen = atomic_compare_swap<u64>(state_.block, tail_word, at, at + bytes);
    if (seen == at) {
      tail_.set(at + bytes);
      return at;
    }
    at = seen;
  }
}

void Ring::copy_in(u64 position, const char* src, u64 n) {
  const u64 off = position % capacity();
  const u64 first = std::min(n, capacity() - off);
  write_bytes(state_.block, data_at(capacity()) + off, src, first);
  if (n > first) write_bytes(state_.block, data_at(capacity()), src + first, n - first);
}

void Ring::copy_out(u64 position, char* dst, u64 n) const {
  const u64 off = position % capacity();
  const u64 first = std::min(n, capacity() - off);
  read_bytes(state_.block, data_at(capacity()) + off, dst, first);
  if (n > first) read_bytes(state_.block, data_at(capacity()), dst + first, n - first);
}

bool Ring::published(u64 position) const {
  return atomic_load<u64>(state_.block, stamp_at(capacity(), position)) == position + 1;
}

bool Ring::try_take(u64 position, Bytes& payload) {
  char first[prefix];
  copy_out(position, first, prefix);
  u64 n = 0;
  std::memcpy(&n, first, sizeof n);
  // Read before the claim: if another consumer took this record meanwhile, what was read may
  // be a newer producer's bytes, but then the claim below fails and it is thrown away.
  const u64 bytes = round_up(ring_record_header + std::min(n, capacity()));
  const u64 seen = atomic_compare_swap<u64>(state_.block, next_word, position, position + bytes);
  if (seen != position) {
    next_.set(seen);
    return false;
  }
  if (n + ring_record_header > capacity())
    throw Error("corrupt queue record of " + std::to_string(n) + " bytes at position " +
                std::to_string(position) + " (rank " + std::to_string(state_.block.rank) + ")");
  payload.resize(n);
  const u64 inline_bytes = std::min<u64>(n, prefix - ring_record_header);
  std::memcpy(payload.data(), first + ring_record_header, inline_bytes);
  if (n > inline_bytes) copy_out(position + prefix, payload.data() + inline_bytes, n - inline_bytes);
  // Hand the space back in claim order: a consumer that claimed earlier may still be copying.
  wait_until([&] {
    return atomic_compare_swap<u64>(state_.block, head_word, position, position + bytes) == position;
  });
  release_item_slot();
  next_.set(position + bytes);
  return true;
}

void Ring::get(Bytes& payload, bool block, const Deadline& deadline, const char* op) {
  Backoff backoff;
  for (;;) {
    u64 at = next_.get();
    const Oldest oldest = look(at);
    if (oldest == Oldest::complete && try_take(at, payload)) return;
    if (oldest == Oldest::drained) raise_drained(op);
    if (oldest != Oldest::pending) continue;  // another consumer took it first: look again
    if (!block || deadline.passed())
      throw Empty(std::string(op) + ": the " + name_of(state_.use) + " is empty" +
                  (block ? " after the timeout" : ""));
    backoff.pause();
  }
}

// What the oldest unclaimed record is: complete, still being written or not there (pending),
// or never to come (closed and drained). `position` becomes its position. One answer from
// one look: a second look at a stamp may find a newer record there after a wrap.
Ring::Oldest Ring::look(u64& position) const {
  if (published(position)) return Oldest::complete;
  const u64 claimed = atomic_load<u64>(state_.block, next_word);
  if (claimed != position) {
    position = claimed;
    next_.set(claimed);
    if (published(position)) return Oldest::complete;
  }
  const u64 count = atomic_load<u64>(state_.block, count_word);
  const bool drained = (count & writer_closed) != 0 && (count & count_mask) == 0;
  return drained ? Oldest::drained : Oldest::pending;
}

bool Ring::poll(const Deadline& deadline) {
  u64 at = next_.get();
  return wait_until([&] { return look(at) != Oldest::pending; }, deadline);
}

void Ring::refuse_put_if_closed(u64 count, const char* op) const {
  if ((count & reader_closed) != 0)
    throw ValueError(std::string(op) + ": the receiving end of the pipe was closed");
  if ((count & writer_closed) == 0) return;
  if (state_.use == RingUse::pipe) throw ValueError(std::string(op) + ": this end was closed");
  throw ValueError(std::string(op) + ": the queue is closed; make a new Queue");
}

void Ring::raise_drained(const char* op) const {
  if (state_.use == RingUse::pipe)
    throw EOFError(std::string(op) + ": the other end was closed and nothing is left to receive");
  throw ValueError(std::string(op) + ": the queue is closed and empty");
}

u64 Ring::size() const { return atomic_load<u64>(state_.block, count_word) & count_mask; }

bool Ring::closed() const {
  return (atomic_load<u64>(state_.block, count_word) & writer_closed) != 0;
}

namespace {
void set_bits(const Handle& block, u64 bits) {
  u64 count = atomic_load<u64>(block, count_word);
  while ((count & bits) != bits) {
    const u64 seen = atomic_compare_swap<u64>(block, count_word, count, count | bits);
    if (seen == count) return;
    count = seen;
  }
}
}  // namespace

void Ring::close() { set_bits(state_.block, writer_closed); }
void Ring::close_reader() { set_bits(state_.block, reader_closed); }

void Ring::add_unfinished(std::int64_t delta) {
  atomic_fetch_add<u64>(state_.block, unfinished_word, static_cast<u64>(delta));
}

void Ring::task_done(const char* op) {
  u64 left = atomic_load<u64>(state_.block, unfinished_word);
  for (;;) {
    if (left == 0)
      throw ValueError(std::string(op) +
                       ": called more times than there were items put (task_done() too many times)");
    const u64 seen = atomic_compare_swap<u64>(state_.block, unfinished_word, left, left - 1);
    if (seen == left) return;
    left = seen;
  }
}

bool Ring::join(const Deadline& deadline) const {
  return wait_until([&] { return atomic_load<u64>(state_.block, unfinished_word) == 0; }, deadline);
}

}  // namespace mpp::detail
