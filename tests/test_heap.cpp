// The RMA layer, with every rank in the test body at once.
#include <mpp/detail/heap.hpp>
#include <mpp/detail/session.hpp>
#include <mpp/errors.hpp>
#include <mpp/runtime.hpp>
#include <chrono>
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
