// The RMA layer, with every rank in the test body at once.
#include <mpp/detail/heap.hpp>
#include <mpp/detail/session.hpp>
#include <mpp/errors.hpp>
#include <mpp/runtime.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <string>
#include <vector>

#include "support/mpp_testing.hpp"

namespace {

// Rank 0 allocates; every rank gets the handle.
mpp::detail::Handle shared_from_rank0(std::size_t bytes) {
  mpp::detail::Handle h{};
  if (mpp::rank() == 0) h = mpp::detail::heap_allocate(bytes);
  const std::string raw = mpp::detail::broadcast_from_rank0(
      std::string(reinterpret_cast<const char*>(&h), sizeof h));
  std::memcpy(&h, raw.data(), sizeof h);
  return h;
}

int ranks() { return mpp::worker_count() + 1; }

}  // namespace

TEST(Heap, AtomicsFromEveryRankAreExact) {
  const auto h = shared_from_rank0(64);
  for (int i = 0; i < 1000; ++i) {
    mpp::detail::atomic_fetch_add<std::uint64_t>(h, 0, 1);
    mpp::detail::atomic_fetch_add<std::uint32_t>(h, 8, 2);
    mpp::detail::atomic_fetch_add<double>(h, 16, 0.25);
  }
  mpp::detail::allreduce_max(0);  // everyone is done
  EXPECT_EQ(mpp::detail::atomic_load<std::uint64_t>(h, 0), 1000u * ranks());
  EXPECT_EQ(mpp::detail::atomic_load<std::uint32_t>(h, 8), 2000u * ranks());
  double d = 0;
  mpp::detail::read_bytes(h, 16, &d, sizeof d);
  EXPECT_DOUBLE_EQ(d, 250.0 * ranks());
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

TEST(Heap, CompareAndSwapElectsExactlyOneWinner) {
  const auto h = shared_from_rank0(16);
  const bool won64 = mpp::detail::atomic_compare_swap<std::uint64_t>(h, 0, 0, mpp::rank() + 1) == 0;
  const bool won32 = mpp::detail::atomic_compare_swap<std::uint32_t>(h, 8, 0, mpp::rank() + 1) == 0;
  const auto winners = mpp::detail::gather_to_rank0(std::string(1, won64 ? '1' : '0') + (won32 ? '1' : '0'));
  if (mpp::rank() == 0) {
    int w64 = 0, w32 = 0;
    for (const auto& w : winners) {
      w64 += w[0] == '1';
      w32 += w[1] == '1';
    }
    EXPECT_EQ(w64, 1);
    EXPECT_EQ(w32, 1);
    EXPECT_NE(mpp::detail::atomic_load<std::uint64_t>(h, 0), 0u);
  }
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

TEST(Heap, BytesRoundTripToEveryRank) {
  // Each rank writes its slice of rank 0's block, then checks all slices.
  const auto h = shared_from_rank0(static_cast<std::size_t>(ranks()) * 1000);
  std::vector<char> mine(1000, static_cast<char>('a' + mpp::rank()));
  mpp::detail::write_bytes(h, static_cast<std::size_t>(mpp::rank()) * 1000, mine.data(), mine.size());
  mpp::detail::allreduce_max(0);
  std::vector<char> all(h.size);
  mpp::detail::read_bytes(h, 0, all.data(), all.size());
  for (int r = 0; r < ranks(); ++r) EXPECT_EQ(all[static_cast<std::size_t>(r) * 1000 + 999], 'a' + r);
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

TEST(Heap, FreedBlockIsDetectedThroughItsGeneration) {
  const auto h = shared_from_rank0(32);
  EXPECT_NO_THROW(mpp::detail::check_live(h));
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
  mpp::detail::allreduce_max(0);
  try {
    mpp::detail::check_live(h);
    ADD_FAILURE() << "stale handle not detected";
  } catch (const mpp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("stale handle"), std::string::npos) << e.what();
  }
  // Reuse of the same memory gets a new generation: the old handle stays stale.
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) {
    const auto again = mpp::detail::heap_allocate(32);
    EXPECT_EQ(again.offset, h.offset);
    EXPECT_NE(again.generation, h.generation);
    EXPECT_THROW(mpp::detail::check_live(h), mpp::Error);
    mpp::detail::heap_free(again);
  }
}

TEST(Heap, AllocationIsLocalAndFreedMemoryIsReused) {
  std::vector<mpp::detail::Handle> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(mpp::detail::heap_allocate(1000));
  for (const auto& b : blocks) EXPECT_EQ(b.rank, mpp::rank());
  const auto first = blocks.front().offset;
  for (const auto& b : blocks) mpp::detail::heap_free(b);
  const auto again = mpp::detail::heap_allocate(50000);  // fits only if frees coalesced
  EXPECT_EQ(again.offset, first);
  mpp::detail::heap_free(again);
}

TEST(Heap, ExhaustionIsAMemoryErrorNamingTheVariable) {
  try {
    (void)mpp::detail::heap_allocate(std::size_t{1} << 40);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::MemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("MPP_HEAP_SIZE"), std::string::npos) << e.what();
  }
}

TEST(Heap, OutOfBoundsAndForeignHandlesAreRefused) {
  const auto h = mpp::detail::heap_allocate(8);
  EXPECT_THROW(mpp::detail::atomic_load<std::uint64_t>(h, 8), mpp::Error);
  char buf[16];
  EXPECT_THROW(mpp::detail::read_bytes(h, 0, buf, 16), mpp::Error);
  mpp::detail::Handle bogus = h;
  bogus.rank = ranks() + 3;
  EXPECT_THROW(mpp::detail::atomic_load<std::uint64_t>(bogus, 0), mpp::Error);
  mpp::detail::heap_free(h);
}

TEST(Heap, WaitForChangeSeesAnotherRanksStore) {
  const auto h = shared_from_rank0(8);
  const int last = ranks() - 1;
  if (mpp::rank() == last) {
    // The last rank stores after the others have started waiting.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    mpp::detail::atomic_store<std::uint64_t>(h, 0, 42);
  } else {
    const auto seen = mpp::detail::wait_for_change<std::uint64_t>(h, 0, 0, mpp::detail::Deadline(std::chrono::seconds(30)));
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(*seen, 42u);
  }
  mpp::detail::allreduce_max(0);
  const auto timed_out = mpp::detail::wait_for_change<std::uint64_t>(h, 0, 42, mpp::detail::Deadline(std::chrono::milliseconds(20)));
  EXPECT_FALSE(timed_out.has_value());
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

// The shared-memory fast path (MPP_SHARED_HEAP) and what it must keep from the MPI path.
namespace {

bool all_ranks_on_one_host() {
  for (int r = 1; r < ranks(); ++r)
    if (mpp::host_of(r) != mpp::host_of(0)) return false;
  return true;
}

}  // namespace

TEST(Heap, PathFollowsMppSharedHeap) {
  const char* raw = std::getenv("MPP_SHARED_HEAP");
  const std::string mode = raw != nullptr ? raw : "auto";
  // "on" across hosts ends the job at start-up (tests/CMakeLists.txt checks its message).
  const bool expected = mode == "on" || (mode == "auto" && all_ranks_on_one_host());
  EXPECT_EQ(mpp::detail::heap_is_shared(), expected) << "MPP_SHARED_HEAP=" << mode;
}

TEST(Heap, NarrowAndFloatAtomicsFromEveryRankAreExact) {
  // Words of every width in one block, next to each other: a CPU atomic must touch only its own.
  const auto h = shared_from_rank0(32);
  for (int i = 0; i < 1000; ++i) {
    mpp::detail::atomic_fetch_add<std::uint8_t>(h, 0, 1);
    mpp::detail::atomic_fetch_add<std::uint8_t>(h, 1, 3);
    mpp::detail::atomic_fetch_add<std::uint16_t>(h, 2, 7);
    mpp::detail::atomic_fetch_add<float>(h, 4, 0.5f);
    mpp::detail::atomic_swap<std::uint64_t>(h, 8, static_cast<std::uint64_t>(mpp::rank()));
    mpp::detail::atomic_fetch_add<std::uint64_t>(h, 16, ~std::uint64_t{0});  // minus one
  }
  mpp::detail::allreduce_max(0);
  const auto n = static_cast<unsigned>(1000 * ranks());
  EXPECT_EQ(mpp::detail::atomic_load<std::uint8_t>(h, 0), static_cast<std::uint8_t>(n));
  EXPECT_EQ(mpp::detail::atomic_load<std::uint8_t>(h, 1), static_cast<std::uint8_t>(3 * n));
  EXPECT_EQ(mpp::detail::atomic_load<std::uint16_t>(h, 2), static_cast<std::uint16_t>(7 * n));
  float f = 0;
  mpp::detail::read_bytes(h, 4, &f, sizeof f);
  EXPECT_EQ(f, 0.5f * static_cast<float>(n));  // exact: halves up to 2^24
  EXPECT_LT(mpp::detail::atomic_load<std::uint64_t>(h, 8), static_cast<std::uint64_t>(ranks()));
  EXPECT_EQ(mpp::detail::atomic_load<std::uint64_t>(h, 16), std::uint64_t{0} - n);
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

TEST(Heap, CompareAndSwapLoopsNeverLoseAnIncrement) {
  // The pattern of Semaphore and Barrier: read, compute, compare-and-swap, retry.
  const auto h = shared_from_rank0(16);
  for (int i = 0; i < 2000; ++i) {
    auto seen = mpp::detail::atomic_load<std::uint32_t>(h, 4);
    for (;;) {
      const auto old = mpp::detail::atomic_compare_swap<std::uint32_t>(h, 4, seen, seen + 1);
      if (old == seen) break;
      seen = old;
    }
  }
  mpp::detail::allreduce_max(0);
  EXPECT_EQ(mpp::detail::atomic_load<std::uint32_t>(h, 4), 2000u * static_cast<unsigned>(ranks()));
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}

TEST(Heap, MisalignedAtomicsAreRefusedOnEveryPath) {
  const auto h = mpp::detail::heap_allocate(32);
  try {
    (void)mpp::detail::atomic_load<std::uint64_t>(h, 4);
    ADD_FAILURE() << "no exception";
  } catch (const mpp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("misaligned"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mpp::detail::atomic_fetch_add<std::uint32_t>(h, 2, 1), mpp::Error);
  EXPECT_THROW(mpp::detail::load_own_word(h, 12), mpp::Error);
  std::uint16_t words[2] = {1, 2};
  EXPECT_THROW(mpp::detail::atomic_write_words<std::uint16_t>(h, 1, words, 2), mpp::Error);
  EXPECT_NO_THROW(mpp::detail::atomic_write_words<std::uint16_t>(h, 2, words, 2));
  EXPECT_EQ(mpp::detail::atomic_load<std::uint32_t>(h, 0), 0x00010000u);
  EXPECT_EQ(mpp::detail::atomic_load<std::uint16_t>(h, 4), 2u);
  mpp::detail::heap_free(h);
}

TEST(Heap, EveryRanksBlocksAreReachableFromEveryRank) {
  // Each rank allocates a block; every rank writes its slot of every block, in bytes, words
  // and atomics, then every rank reads all of them back.
  const auto mine = mpp::detail::heap_allocate(static_cast<std::size_t>(ranks()) * 32);
  const auto raw = mpp::detail::gather_to_rank0(
      std::string(reinterpret_cast<const char*>(&mine), sizeof mine));
  std::string joined;
  for (const auto& r : raw) joined += r;
  joined = mpp::detail::broadcast_from_rank0(joined);
  std::vector<mpp::detail::Handle> blocks(static_cast<std::size_t>(ranks()));
  std::memcpy(blocks.data(), joined.data(), joined.size());
  const auto me = static_cast<std::uint64_t>(mpp::rank());
  for (const auto& b : blocks) {
    const std::size_t slot = me * 32;
    const std::uint64_t words[2] = {me + 100, me + 200};
    mpp::detail::write_bytes(b, slot, words, sizeof words);
    mpp::detail::atomic_write_words<std::uint64_t>(b, slot + 16, words, 1);
    mpp::detail::atomic_store<std::uint64_t>(b, slot + 24, me + 300);
  }
  mpp::detail::allreduce_max(0);
  for (int owner = 0; owner < ranks(); ++owner) {
    const auto& b = blocks[static_cast<std::size_t>(owner)];
    std::vector<std::uint64_t> all(static_cast<std::size_t>(ranks()) * 4);
    mpp::detail::atomic_read_words<std::uint64_t>(b, 0, all.data(), all.size());
    for (std::uint64_t r = 0; r < static_cast<std::uint64_t>(ranks()); ++r) {
      EXPECT_EQ(all[r * 4], r + 100) << "block of rank " << owner << ", slot " << r;
      EXPECT_EQ(all[r * 4 + 1], r + 200);
      EXPECT_EQ(all[r * 4 + 2], r + 100);
      EXPECT_EQ(all[r * 4 + 3], r + 300);
      EXPECT_EQ(mpp::detail::load_own_word(b, r * 32 + 24), r + 300);
    }
  }
  mpp::detail::allreduce_max(0);
  // A rank zeroes its slot in the next rank's block; the owner sees zeros there.
  const auto& next = blocks[static_cast<std::size_t>((mpp::rank() + 1) % ranks())];
  mpp::detail::zero_bytes(next, me * 32, 32);
  mpp::detail::allreduce_max(0);
  std::vector<std::uint64_t> after(static_cast<std::size_t>(ranks()) * 4);
  mpp::detail::read_bytes(mine, 0, after.data(), after.size() * 8);
  const auto zeroed_by = static_cast<std::uint64_t>((mpp::rank() + ranks() - 1) % ranks());
  for (std::uint64_t r = 0; r < static_cast<std::uint64_t>(ranks()); ++r)
    EXPECT_EQ(after[r * 4 + 3], r == zeroed_by ? 0u : r + 300) << "slot " << r;
  mpp::detail::allreduce_max(0);
  mpp::detail::heap_free(mine);
}

TEST(Heap, OwnWordsWrittenWithCpuStoresAreSeenByEveryRank) {
  // store_own_word / load_own_word are CPU accesses where the heap allows it (this rank's own
  // memory, or any rank's on a shared heap) and atomics elsewhere: either way every rank sees
  // every other rank's stores.
  const auto h = shared_from_rank0(static_cast<std::size_t>(ranks()) * 8);
  const auto me = static_cast<std::size_t>(mpp::rank());
  mpp::detail::store_own_word(h, me * 8, 1000 + me);
  mpp::detail::allreduce_max(0);
  for (std::size_t r = 0; r < static_cast<std::size_t>(ranks()); ++r) {
    EXPECT_EQ(mpp::detail::load_own_word(h, r * 8), 1000 + r);
    EXPECT_EQ(mpp::detail::atomic_load<std::uint64_t>(h, r * 8), 1000 + r);
  }
  mpp::detail::allreduce_max(0);
  if (mpp::rank() == 0) mpp::detail::heap_free(h);
}
