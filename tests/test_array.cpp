// mpp::Array: element and bulk access, atomicity, the lock, distributed arrays, and errors.
#include <cstdlib>
#include <mpp/mpp.hpp>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_every_worker;
using mpp::testing::on_rank0;
using mpp::testing::worker_ranks;

namespace {

void add_to_each(mpp::Array<long> a, int times) {
  for (int t = 0; t < times; ++t)
    for (std::size_t i = 0; i < a.size(); ++i) a.fetch_add(i, 1);
}

struct Triple {
  double x, y, z;
  bool operator==(const Triple&) const = default;
};

// Writers store a whole array of one value; readers must never see two values at once.
int uniform_slices(mpp::Array<long> a, long id, int rounds) {
  int torn = 0;
  for (int r = 0; r < rounds; ++r) {
    a.set(0, std::vector<long>(a.size(), id * 1000 + r));
    const auto seen = a.to_vector();
    for (long v : seen)
      if (v != seen.front()) {
        ++torn;
        break;
      }
  }
  return torn;
}

// The same with a wide element type: each element is written and read under the lock.
int whole_triples(mpp::Array<Triple> a, int id, int rounds) {
  int torn = 0;
  for (int r = 0; r < rounds; ++r) {
    const double v = id * 1000.0 + r;
    a.set(static_cast<std::size_t>(r) % a.size(), Triple{v, v, v});
    const Triple t = a.get(static_cast<std::size_t>(r * 7) % a.size());
    if (t.x != t.y || t.y != t.z) ++torn;
  }
  return torn;
}

std::uint64_t heap_bytes() {
  const char* v = std::getenv("MPP_HEAP_SIZE");
  if (v == nullptr || *v == 0) return std::uint64_t{64} << 20;
  char* end = nullptr;
  std::uint64_t n = std::strtoull(v, &end, 10);
  switch (*end) {
    case 'K':
    case 'k':
      n <<= 10;
      break;
    case 'M':
    case 'm':
      n <<= 20;
      break;
    case 'G':
    case 'g':
      n <<= 30;
      break;
    default:
      break;
  }
  return n;
}

}  // namespace

TEST(Array, ConstructReadAndWrite) {
  on_rank0([] {
    mpp::Array<int> a(5, 7);
    EXPECT_EQ(a.size(), 5u);
    EXPECT_EQ(a.to_vector(), (std::vector<int>{7, 7, 7, 7, 7}));
    a.set(2, -1);
    EXPECT_EQ(a.get(2), -1);
    a.set(3, {10, 11});
    EXPECT_EQ(a.get(1, 5), (std::vector<int>{7, -1, 10, 11}));
    EXPECT_EQ(a.get(4, 4), std::vector<int>{});
    EXPECT_EQ(a.fetch_add(0, 5), 7);
    EXPECT_EQ(a.get(0), 12);

    mpp::Array<double> d(std::vector<double>{0.5, 1.5, 2.5});
    EXPECT_EQ(d.to_vector(), (std::vector<double>{0.5, 1.5, 2.5}));
    EXPECT_DOUBLE_EQ(d.fetch_add(1, 0.25), 1.5);
    EXPECT_DOUBLE_EQ(d.get(1), 1.75);

    mpp::Array<char> empty(0);
    EXPECT_EQ(empty.size(), 0u);
    EXPECT_TRUE(empty.to_vector().empty());

    // A copy on another rank names the same memory.
    const int w = worker_ranks().front();
    EXPECT_EQ(mpp::call_on(
                  w,
                  [](mpp::Array<int> x) {
                    x.set(4, 99);
                    return x.get(0, 5);
                  },
                  a),
              (std::vector<int>{12, 7, -1, 10, 99}));
    EXPECT_EQ(a.get(4), 99);
  });
}

TEST(Array, FetchAddFromEveryWorkerIsExact) {
  on_rank0([] {
    mpp::Array<long> a(16, 100L);
    on_every_worker(add_to_each, a, 50);
    const long k = static_cast<long>(worker_ranks().size());
    EXPECT_EQ(a.to_vector(), std::vector<long>(16, 100 + 50 * k));
  });
}

TEST(Array, IndexErrorsNameIndexAndSize) {
  on_rank0([] {
    mpp::Array<int> a(5, 0);
    try {
      a.get(5);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::IndexError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("index 5"), std::string::npos) << what;
      EXPECT_NE(what.find("size 5"), std::string::npos) << what;
    }
    EXPECT_THROW(a.set(7, 1), mpp::IndexError);
    EXPECT_THROW(a.fetch_add(5, 1), mpp::IndexError);
    EXPECT_THROW(a.get(3, 6), mpp::IndexError);
    EXPECT_THROW(a.get(4, 2), mpp::IndexError);
    EXPECT_THROW(a.set(4, {1, 2}), mpp::IndexError);
    EXPECT_EQ(a.to_vector(), std::vector<int>(5, 0));  // nothing was written
    try {
      mpp::call_on(
          worker_ranks().front(), [](mpp::Array<int> x) { return x.get(10); }, a);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::IndexError");
    }
  });
}

TEST(Array, LockFalseHasNoGetLock) {
  on_rank0([] {
    mpp::Array<int> raw(3, 1, mpp::lock = false);
    EXPECT_THROW(raw.get_lock(), mpp::ValueError);
    raw.set(0, {4, 5, 6});
    EXPECT_EQ(raw.to_vector(), (std::vector<int>{4, 5, 6}));
    mpp::Array<int> locked(3, 1);
    EXPECT_NO_THROW(locked.get_lock());
  });
}

TEST(Array, SlicesAreAtomicAgainstEachOther) {
  on_rank0([] {
    mpp::Array<long> a(64, 0L);
    std::vector<mpp::RemoteCall<int>> calls;
    for (int r : worker_ranks())
      calls.push_back(mpp::submit_to(r, uniform_slices, a, static_cast<long>(r), 200));
    if (mpp::worker_count() > 0) {
      EXPECT_EQ(uniform_slices(a, 100, 200), 0);  // rank 0 too
    }
    for (auto& c : calls) EXPECT_EQ(c.get(), 0) << "a slice read saw two writers' values";
  });
}

TEST(Array, WideElementsAreNeverTorn) {
  on_rank0([] {
    mpp::Array<Triple> a(8, Triple{1, 1, 1});
    EXPECT_EQ(a.get(3), (Triple{1, 1, 1}));
    a.set(0, {Triple{2, 2, 2}, Triple{3, 3, 3}});
    EXPECT_EQ(a.get(0, 2), (std::vector<Triple>{Triple{2, 2, 2}, Triple{3, 3, 3}}));
    std::vector<mpp::RemoteCall<int>> calls;
    for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, whole_triples, a, r, 300));
    if (mpp::worker_count() > 0) {
      EXPECT_EQ(whole_triples(a, 100, 300), 0);
    }
    for (auto& c : calls) EXPECT_EQ(c.get(), 0);
  });
}

TEST(Array, HoldingGetLockAroundSlicesReenters) {
  on_rank0([] {
    mpp::Array<long> a(4, 1L);
    std::lock_guard guard(a.get_lock());
    auto values = a.to_vector();  // takes the same RLock again: must not deadlock
    for (auto& v : values) v *= 10;
    a.set(0, values);
    EXPECT_EQ(a.to_vector(), std::vector<long>(4, 10));
  });
}

TEST(Array, DistributedSpreadsBlocksOverRanks) {
  on_rank0([] {
    const std::size_t n = 1003;  // not a multiple of the rank count
    mpp::Array<long> a(n, 3L, mpp::distributed);
    EXPECT_TRUE(a.is_distributed());
    EXPECT_EQ(a.size(), n);
    EXPECT_EQ(a.to_vector(), std::vector<long>(n, 3));
    std::vector<long> ramp(n);
    std::iota(ramp.begin(), ramp.end(), 0L);
    a.set(0, ramp);
    EXPECT_EQ(a.to_vector(), ramp);
    EXPECT_EQ(a.get(500, 510), std::vector<long>(ramp.begin() + 500, ramp.begin() + 510));
    // Every worker adds to every element, through its own copy of the handle.
    on_every_worker(add_to_each, a, 2);
    const long k = static_cast<long>(worker_ranks().size());
    for (std::size_t i = 0; i < n; i += 97) EXPECT_EQ(a.get(i), static_cast<long>(i) + 2 * k);
    EXPECT_EQ(a.get(n - 1), static_cast<long>(n - 1) + 2 * k);
    EXPECT_THROW(a.get(n), mpp::IndexError);
    mpp::Array<int> tiny(2, 5, mpp::distributed, mpp::lock = false);  // fewer elements than ranks
    EXPECT_EQ(tiny.to_vector(), (std::vector<int>{5, 5}));
    EXPECT_THROW(tiny.get_lock(), mpp::ValueError);
  });
}

TEST(Array, DistributedArrayLargerThanOneRanksHeap) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "one rank: there is only one heap";
    const std::uint64_t heap = heap_bytes();
    const auto ranks = static_cast<std::uint64_t>(mpp::worker_count() + 1);
    // 1.5 heaps in all, yet each rank's block fits (ranks >= 2: at most 0.75 of a heap).
    const std::size_t n = static_cast<std::size_t>(heap / 2 * 3 / sizeof(long));
    if (n * sizeof(long) / ranks > heap * 3 / 4) GTEST_SKIP();
    EXPECT_THROW(mpp::Array<long>(n, 0L), mpp::MemoryError);
    mpp::Array<long> big(n, 0L, mpp::distributed);
    big.set(0, 1);
    big.set(n - 1, 2);
    big.fetch_add(n / 2, 5);
    EXPECT_EQ(big.get(0), 1);
    EXPECT_EQ(big.get(n - 1), 2);
    EXPECT_EQ(big.get(n / 2 - 1, n / 2 + 2), (std::vector<long>{0, 5, 0}));
    EXPECT_EQ(mpp::call_on(
                  worker_ranks().back(), [](mpp::Array<long> b) { return b.get(b.size() - 1); }, big),
              2);
  });
}

TEST(Array, DistributedArrayTooLargeForEveryHeapIsAMemoryError) {
  on_rank0([] {
    const auto ranks = static_cast<std::uint64_t>(mpp::worker_count() + 1);
    const std::size_t n = static_cast<std::size_t>(heap_bytes() * 2 * ranks / sizeof(long));
    try {
      mpp::Array<long> too_big(n, 0L, mpp::distributed);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::MemoryError& e) {
      EXPECT_NE(std::string(e.what()).find("MPP_HEAP_SIZE"), std::string::npos) << e.what();
    }
    mpp::Array<long> fits(8, 1L, mpp::distributed);  // nothing was left behind
    EXPECT_EQ(fits.to_vector(), std::vector<long>(8, 1));
  });
}

TEST(Array, DistributedIsMadeByRankZero) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "needs a worker";
    try {
      mpp::call_on(1, [] { mpp::Array<int> a(10, 0, mpp::distributed); });
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::ProcessError");
    }
  });
}
