// mpp::Manager: its dict and list used from tasks on every worker, and every error they raise.
#include <algorithm>
#include <map>
#include <mpp/mpp.hpp>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_every_worker;
using mpp::testing::on_rank0;
using mpp::testing::worker_ranks;

namespace {

using Counts = mpp::DictProxy<std::string, long>;
using Series = std::vector<double>;

// Across hosts every RMA operation is a TCP round trip (osc pt2pt): fewer rounds there keep a
// test well inside its deadline; on one host the full count.
int scaled(int rounds) {
  for (int r = 1; r <= mpp::worker_count(); ++r)
    if (mpp::host_of(r) != mpp::hostname()) return std::max(rounds / 10, 5);
  return rounds;
}

void count_keys(Counts d, int rounds) {
  for (int i = 0; i < rounds; ++i)
    for (int k = 0; k < 10; ++k) {
      std::string key = "k";  // not "k" + ...: GCC 12 warns falsely about it (bug 105651)
      key += std::to_string(k);
      d.update(key, [](long n) { return n + 1; });
    }
}

void set_own_keys(mpp::DictProxy<int, std::string> d, int rank, int n) {
  for (int i = 0; i < n; ++i) d.set(rank * 100000 + i, "value of " + std::to_string(i));
}

void append_pairs(mpp::ListProxy<std::pair<int, int>> l, int rank, int n) {
  for (int i = 0; i < n; ++i) l.append({rank, i});
}

void append_words(mpp::ListProxy<std::string> l, int rank, int n) {
  for (int i = 0; i < n; ++i)
    l.append(std::string(static_cast<std::size_t>(i % 7), 'x') + std::to_string(rank * 1000 + i));
}

struct Opaque {  // no operator<<: a KeyError cannot print it
  int a;
  int b;
};

bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

}  // namespace

TEST(ManagerDict, SetGetEraseAndViewsKeepInsertionOrder) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<std::string, Series>();
    EXPECT_EQ(d.size(), 0u);
    EXPECT_FALSE(d.contains("a"));
    d.set("b", {1.0, 2.0});
    d.set("a", {});
    d.set("c", Series(100, 0.5));
    EXPECT_EQ(d.size(), 3u);
    EXPECT_TRUE(d.contains("a"));
    EXPECT_EQ(d.get("b"), (Series{1.0, 2.0}));
    EXPECT_EQ(d.get("a"), Series{});
    EXPECT_EQ(d.get("zz", Series{9.0}), Series{9.0});
    d.set("b", Series(1000, 3.0));  // a bigger value moves to a bigger block; b keeps its place
    EXPECT_EQ(d.get("b"), Series(1000, 3.0));
    EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "a", "c"}));
    d.erase("a");
    EXPECT_FALSE(d.contains("a"));
    d.set("a", {7.0});  // re-inserted: now last, as in Python
    EXPECT_EQ(d.keys(), (std::vector<std::string>{"b", "c", "a"}));
    EXPECT_EQ(d.values(), (std::vector<Series>{Series(1000, 3.0), Series(100, 0.5), {7.0}}));
    const auto items = d.items();
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[2], (std::pair<std::string, Series>{"a", {7.0}}));
    // Seen the same from a worker.
    const auto seen = mpp::call_on(
        worker_ranks().back(), [](mpp::DictProxy<std::string, Series> p) { return p.items(); }, d);
    EXPECT_EQ(seen, items);
  });
}

TEST(ManagerDict, ManyKeysGrowAndShrinkTheTable) {
  on_rank0([] {
    mpp::Manager m(1 << 20);
    auto d = m.dict<int, long>();
    for (int i = 0; i < 2000; ++i) d.set(i, long{i} * i);
    for (int i = 0; i < 2000; i += 2) d.erase(i);
    EXPECT_EQ(d.size(), 1000u);
    for (int i = 0; i < 2000; ++i) {
      EXPECT_EQ(d.contains(i), i % 2 == 1) << i;
      EXPECT_EQ(d.get(i, -1L), i % 2 == 1 ? long{i} * i : -1L);
    }
    const auto keys = d.keys();
    ASSERT_EQ(keys.size(), 1000u);
    for (std::size_t j = 0; j < keys.size(); ++j) EXPECT_EQ(keys[j], 2 * static_cast<int>(j) + 1);
    for (int i = 1; i < 2000; i += 2) d.erase(i);
    EXPECT_EQ(d.size(), 0u);
    EXPECT_TRUE(d.items().empty());
    d.set(5, 25);
    EXPECT_EQ(d.get(5), 25);
  });
}

TEST(ManagerDict, CountedFromEveryWorkerIsExact) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<std::string, long>();
    const int rounds = scaled(200);
    on_every_worker(count_keys, d, rounds);
    const long expected = long{rounds} * static_cast<long>(worker_ranks().size());
    ASSERT_EQ(d.size(), 10u);
    for (const auto& [key, n] : d.items()) EXPECT_EQ(n, expected) << key;
    EXPECT_EQ(d.update("k0", [](long n) { return n * 2; }), 2 * expected);
  });
}

TEST(ManagerDict, KeysSetFromEveryWorkerAreAllThere) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<int, std::string>();
    const int n = scaled(300);
    std::vector<mpp::RemoteCall<void>> calls;
    for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, set_own_keys, d, r, n));
    for (auto& c : calls) c.get();
    EXPECT_EQ(d.size(), worker_ranks().size() * static_cast<std::size_t>(n));
    for (int r : worker_ranks())
      for (int i = 0; i < n; ++i)
        EXPECT_EQ(d.get(r * 100000 + i), "value of " + std::to_string(i)) << r << " " << i;
  });
}

TEST(ManagerDict, UpdateStartsFromDefaultAndKeepsOldValueWhenFnThrows) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<std::tuple<int, std::string>, std::string>();
    const std::tuple<int, std::string> key{1, "x"};
    EXPECT_EQ(d.update(key, [](std::string s) { return s + "a"; }), "a");
    EXPECT_EQ(d.update(
                  key, [](const std::string& s) { return s + "b"; }, std::string("unused")),
              "ab");
    const std::tuple<int, std::string> other{2, "y"};
    EXPECT_EQ(d.update(
                  other, [](std::string s) { return s + "!"; }, std::string("start")),
              "start!");
    EXPECT_THROW(d.update(key, [](std::string) -> std::string { throw std::runtime_error("no"); }),
                 std::runtime_error);
    EXPECT_EQ(d.get(key), "ab");
    EXPECT_EQ(d.size(), 2u);
  });
}

TEST(ManagerDict, InitialMappingAndSharedObjectValues) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict(std::map<std::string, int>{{"one", 1}, {"two", 2}});
    EXPECT_EQ(d.get("one") + d.get("two"), 3);
    // A dict of Values: the handle is stored, the Value itself stays shared.
    auto counters = m.dict<int, mpp::Value<long>>();
    mpp::Value<long> v = m.Value<long>(5);
    counters.set(0, v);
    mpp::call_on(
        worker_ranks().back(),
        [](mpp::DictProxy<int, mpp::Value<long>> c) { c.get(0).fetch_add(10); }, counters);
    EXPECT_EQ(v.load(), 15);
  });
}

TEST(ManagerList, AppendedFromEveryWorkerHoldsEachValueOnce) {
  on_rank0([] {
    mpp::Manager m;
    auto l = m.list<std::pair<int, int>>();
    const int n = scaled(200);
    std::vector<mpp::RemoteCall<void>> calls;
    for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, append_pairs, l, r, n));
    for (auto& c : calls) c.get();
    const auto all = l.to_vector();
    ASSERT_EQ(all.size(), worker_ranks().size() * static_cast<std::size_t>(n));
    EXPECT_EQ(l.size(), all.size());
    std::map<int, std::vector<int>> by_rank;
    for (const auto& [r, i] : all) by_rank[r].push_back(i);
    for (int r : worker_ranks()) {
      std::vector<int> expected(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) expected[static_cast<std::size_t>(i)] = i;
      EXPECT_EQ(by_rank[r], expected) << "rank " << r;  // each once, in the rank's own order
    }
  });
}

TEST(ManagerList, StringsFromEveryWorkerGetSetAndNegativeIndices) {
  on_rank0([] {
    mpp::Manager m;
    auto l = m.list<std::string>();
    const int n = scaled(100);
    std::vector<mpp::RemoteCall<void>> calls;
    for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, append_words, l, r, n));
    for (auto& c : calls) c.get();
    auto all = l.to_vector();
    ASSERT_EQ(all.size(), worker_ranks().size() * static_cast<std::size_t>(n));
    std::multiset<std::string> expected;
    for (int r : worker_ranks())
      for (int i = 0; i < n; ++i)
        expected.insert(std::string(static_cast<std::size_t>(i % 7), 'x') +
                        std::to_string(r * 1000 + i));
    EXPECT_EQ(std::multiset<std::string>(all.begin(), all.end()), expected);
    EXPECT_EQ(l.get(0), all.front());
    EXPECT_EQ(l.get(-1), all.back());
    l.set(-1, std::string(5000, 'y'));  // a longer element moves to a bigger block
    l.set(0, "first");
    EXPECT_EQ(l.get(-1), std::string(5000, 'y'));
    EXPECT_EQ(
        mpp::call_on(
            worker_ranks().front(), [](mpp::ListProxy<std::string> p) { return p.get(0); }, l),
        "first");
    all = l.to_vector();
    EXPECT_EQ(all.front(), "first");
    EXPECT_EQ(all.back(), std::string(5000, 'y'));
  });
}

TEST(ManagerList, FixedSizeElementsAndInitialValues) {
  on_rank0([] {
    mpp::Manager m;
    auto l = m.list<double>({1.5, 2.5});
    l.append(3.5);
    l.extend({4.5, 5.5});
    l.set(1, -1.0);
    EXPECT_EQ(l.to_vector(), (std::vector<double>{1.5, -1.0, 3.5, 4.5, 5.5}));
    EXPECT_EQ(l.get(-5), 1.5);
    EXPECT_EQ(mpp::call_on(
                  worker_ranks().back(),
                  [](mpp::ListProxy<double> p) {
                    p.append(6.5);
                    return p.size();
                  },
                  l),
              6u);
    EXPECT_EQ(l.get(5), 6.5);
  });
}

TEST(ManagerErrors, KeyErrorNamesTheKey) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<std::string, int>();
    EXPECT_THROW(d.get("missing"), mpp::KeyError);
    EXPECT_PRED2(has, error_of([&] { d.get("missing"); }), "key 'missing'");
    EXPECT_PRED2(has, error_of([&] { d.erase("gone"); }), "DictProxy.erase");
    EXPECT_PRED2(has, error_of([&] { d.erase("gone"); }), "'gone'");
    EXPECT_THROW(d.erase("gone"), mpp::KeyError);
    auto ints = m.dict<int, int>();
    EXPECT_PRED2(has, error_of([&] { ints.get(42); }), "key 42 is not in the dict");
    auto opaque = m.dict<Opaque, int>();
    EXPECT_PRED2(has, error_of([&] { opaque.get(Opaque{1, 2}); }), "(key not printable)");
    // From a task: the worker's KeyError comes back typed.
    try {
      mpp::call_on(
          worker_ranks().back(), [](mpp::DictProxy<std::string, int> p) { return p.get("far"); },
          d);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::KeyError");
      EXPECT_PRED2(has, e.message(), "'far'");
    }
  });
}

TEST(ManagerErrors, IndexErrorNamesIndexAndSize) {
  on_rank0([] {
    mpp::Manager m;
    auto l = m.list<int>({10, 20, 30});
    EXPECT_THROW(l.get(3), mpp::IndexError);
    EXPECT_THROW(l.get(-4), mpp::IndexError);
    EXPECT_THROW(l.set(7, 1), mpp::IndexError);
    EXPECT_PRED2(has, error_of([&] { l.get(-4); }), "ListProxy.get: index -4");
    EXPECT_PRED2(has, error_of([&] { l.get(-4); }), "size 3");
    EXPECT_PRED2(has, error_of([&] { l.set(7, 1); }), "ListProxy.set: index 7");
    auto empty = m.list<std::string>();
    EXPECT_PRED2(has, error_of([&] { empty.get(0); }), "list of size 0");
    EXPECT_EQ(l.to_vector(), (std::vector<int>{10, 20, 30}));  // unchanged
  });
}

TEST(ManagerErrors, MemoryErrorWhenTheArenaIsFull) {
  on_rank0([] {
    mpp::Manager m(8192);
    auto d = m.dict<int, std::string>();
    d.set(1, "small");
    EXPECT_THROW(d.set(2, std::string(20000, 'z')), mpp::MemoryError);
    EXPECT_PRED2(has, error_of([&] { d.set(2, std::string(20000, 'z')); }), "arena is exhausted");
    EXPECT_PRED2(has, error_of([&] { d.set(2, std::string(20000, 'z')); }), "8192");
    EXPECT_PRED2(has, error_of([&] { d.set(2, std::string(20000, 'z')); }), "MPP_MANAGER_ARENA");
    EXPECT_EQ(d.size(), 1u);  // nothing half-done
    EXPECT_EQ(d.get(1), "small");
    // From a worker, while the list grows.
    auto l = m.list<std::string>();
    try {
      mpp::call_on(
          worker_ranks().back(),
          [](mpp::ListProxy<std::string> p) {
            for (int i = 0; i < 100; ++i) p.append(std::string(500, 'q'));
          },
          l);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::MemoryError");
    }
    const auto kept = l.to_vector();
    EXPECT_FALSE(kept.empty());
    EXPECT_TRUE(std::all_of(kept.begin(), kept.end(),
                            [](const std::string& s) { return s == std::string(500, 'q'); }));
    EXPECT_THROW(mpp::Manager(100), mpp::ValueError);
    EXPECT_THROW(mpp::Manager(std::size_t{1} << 40), mpp::MemoryError);
  });
}

TEST(ManagerErrors, UpdateMustNotUseTheSameDict) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<int, int>();
    d.set(1, 1);
    EXPECT_THROW(d.update(1, [&d](int v) { return v + d.get(1); }), mpp::RuntimeError);
    EXPECT_EQ(d.get(1), 1);  // the lock was given back and nothing changed
  });
}

TEST(ManagerErrors, UseAfterShutdownRaises) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<std::string, int>();
    auto l = m.list<int>();
    d.set("a", 1);
    EXPECT_TRUE(m.running());
    m.shutdown();
    EXPECT_FALSE(m.running());
    m.shutdown();  // idempotent
    EXPECT_THROW(d.get("a"), mpp::RuntimeError);
    EXPECT_PRED2(has, error_of([&] { d.set("a", 2); }), "Manager was shut down");
    EXPECT_THROW(l.append(1), mpp::RuntimeError);
    EXPECT_THROW(l.size(), mpp::RuntimeError);
    EXPECT_THROW((m.dict<int, int>()), mpp::RuntimeError);
    EXPECT_THROW(m.list<int>(), mpp::RuntimeError);
    EXPECT_THROW(m.Lock(), mpp::RuntimeError);
    try {
      mpp::call_on(
          worker_ranks().back(), [](mpp::DictProxy<std::string, int> p) { return p.size(); }, d);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::RuntimeError");
    }
    mpp::Manager moved_to = mpp::Manager(1 << 16);
    mpp::Manager other(std::move(moved_to));
    EXPECT_FALSE(moved_to.running());
    EXPECT_THROW(moved_to.list<int>(), mpp::RuntimeError);
    EXPECT_EQ(other.list<int>({1}).get(0), 1);
  });
}

TEST(ManagerLifetime, DroppedObjectsGiveTheirMemoryBack) {
  on_rank0([] {
    mpp::Manager m(64 << 10);
    for (int round = 0; round < 100; ++round) {  // 100 x ~20 KiB: fits only if freed
      auto d = m.dict<int, std::string>();
      auto l = m.list<std::string>();
      for (int i = 0; i < 20; ++i) {
        d.set(i, std::string(400, 'a'));
        l.append(std::string(400, 'b'));
      }
      ASSERT_EQ(d.size(), 20u);
    }
    // A handle that outlived its dict finds it freed, even once the header is reused.
    mpp::DictProxy<int, int> stale = [&] {
      auto d = m.dict<int, int>();
      return mpp::detail::decode_one<mpp::DictProxy<int, int>>(mpp::detail::encode_one(d));
    }();
    auto fresh = m.dict<int, int>();
    fresh.set(1, 1);
    EXPECT_PRED2(has, error_of([&] { stale.size(); }), "was freed");
    EXPECT_EQ(fresh.get(1), 1);
  });
}

TEST(ManagerSync, LockRLockAndValueAreTheSharedObjects) {
  on_rank0([] {
    mpp::Manager m;
    mpp::Lock lock = m.Lock();
    mpp::RLock rlock = m.RLock();
    mpp::Value<long> total = m.Value<long>(0);
    on_every_worker(
        [](mpp::Lock l, mpp::RLock r, mpp::Value<long> v) {
          for (int i = 0; i < 100; ++i) {
            std::lock_guard g(l);
            std::lock_guard g2(r);
            std::lock_guard g3(r);  // re-entered
            v.store(v.load() + 1);
          }
        },
        lock, rlock, total);
    EXPECT_EQ(total.load(), 100L * static_cast<long>(worker_ranks().size()));
    EXPECT_TRUE(lock.try_lock());
    lock.release();
  });
}

TEST(ManagerSync, QueueCarriesEveryItemOnce) {
  on_rank0([] {
    mpp::Manager m;
    // Bounded, so producers wait for rank 0 to take; with no workers the tasks run here first.
    const std::size_t maxsize = mpp::worker_count() > 0 ? 4 : 0;
    mpp::Queue<std::string> q = m.Queue<std::string>(maxsize);
    EXPECT_EQ(q.maxsize(), maxsize);
    const int n = 50;
    std::vector<mpp::RemoteCall<void>> calls;
    for (int r : worker_ranks())
      calls.push_back(mpp::submit_to(
          r,
          [](mpp::Queue<std::string> out, int rank, int count) {
            for (int i = 0; i < count; ++i) out.put(std::to_string(rank) + ":" + std::to_string(i));
          },
          q, r, n));
    std::multiset<std::string> got;
    for (std::size_t i = 0; i < worker_ranks().size() * n; ++i)
      got.insert(q.get(std::chrono::seconds(30)));
    for (auto& c : calls) c.get();
    std::multiset<std::string> expected;
    for (int r : worker_ranks())
      for (int i = 0; i < n; ++i) expected.insert(std::to_string(r) + ":" + std::to_string(i));
    EXPECT_EQ(got, expected);
    EXPECT_TRUE(q.empty());
  });
}

namespace {
void add_in_process(mpp::DictProxy<int, long> d, mpp::ListProxy<int> l, int id, int n) {
  for (int i = 0; i < n; ++i) {
    d.update(i % 3, [](long v) { return v + 1; });
    l.append(id * 10000 + i);
  }
}
}  // namespace

// Processes are threads of the worker ranks: several threads of one rank share a dict.
TEST(ManagerDict, ProcessesSharingRanksCountExactly) {
  on_rank0([] {
    mpp::Manager m;
    auto d = m.dict<int, long>();
    auto l = m.list<int>();
    const int processes = 6, n = scaled(150);
    std::vector<mpp::Process> ps;
    for (int p = 0; p < processes; ++p) ps.emplace_back(add_in_process, d, l, p, n);
    for (auto& p : ps) p.start();
    for (auto& p : ps) p.join();
    for (auto& p : ps) EXPECT_EQ(p.exitcode(), std::optional<int>(0));
    long total = 0;
    for (long v : d.values()) total += v;
    EXPECT_EQ(total, long{processes} * n);
    auto all = l.to_vector();
    std::sort(all.begin(), all.end());
    std::vector<int> expected;
    for (int p = 0; p < processes; ++p)
      for (int i = 0; i < n; ++i) expected.push_back(p * 10000 + i);
    EXPECT_EQ(all, expected);
  });
}
