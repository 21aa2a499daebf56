// mpp::Value and the simple Lock, used from tasks on every worker.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <mpp/mpp.hpp>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_every_worker;
using mpp::testing::on_rank0;
using mpp::testing::worker_ranks;
using namespace std::chrono_literals;

namespace {

void add_ints(mpp::Value<long> v, int n) {
  for (int i = 0; i < n; ++i) v.fetch_add(1);
}
void add_doubles(mpp::Value<double> v, int n) {
  for (int i = 0; i < n; ++i) v.fetch_add(0.5);
}
void locked_increments(mpp::Value<int> v, int n) {
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(v.get_lock());
    v.store(v.load() + 1);
  }
}
void cas_increments(mpp::Value<std::int64_t> v, int n) {
  for (int i = 0; i < n; ++i) {
    std::int64_t seen = v.load();
    while (!v.compare_exchange(seen, seen + 1)) {
    }
  }
}
void exchange_tokens(mpp::Value<int> v, mpp::Value<long> sum, int n) {
  // Each exchange hands back exactly one earlier token: nothing is lost or duplicated.
  for (int i = 1; i <= n; ++i) sum.fetch_add(v.exchange(i));
}

struct Triple {
  double x, y, z;
};
// Writers store (k, k, k); a torn read would see mixed values.
int torn_reads(mpp::Value<Triple> v, int n, int id) {
  int torn = 0;
  for (int i = 0; i < n; ++i) {
    v.store(Triple{double(id * n + i), double(id * n + i), double(id * n + i)});
    const Triple t = v.load();
    if (t.x != t.y || t.y != t.z) ++torn;
  }
  return torn;
}

}  // namespace

TEST(Value, LoadStoreAndInitialValue) {
  on_rank0([] {
    mpp::Value<long> v(41);
    EXPECT_EQ(v.load(), 41);
    v.store(-7);
    EXPECT_EQ(v.load(), -7);
    mpp::Value<char> c('x');
    EXPECT_EQ(c.load(), 'x');
    mpp::Value<short> s(-3);
    EXPECT_EQ(s.fetch_add(5), -3);
    EXPECT_EQ(s.load(), 2);
    EXPECT_EQ(mpp::call_on(worker_ranks().front(), [](mpp::Value<long> w) { return w.load(); }, v), -7);
  });
}

TEST(Value, FetchAddFromEveryWorkerIsExact) {
  on_rank0([] {
    mpp::Value<long> v(0);
    on_every_worker(add_ints, v, 2000);
    EXPECT_EQ(v.load(), 2000L * static_cast<long>(worker_ranks().size()));
    EXPECT_EQ(v.fetch_add(-5), 2000L * static_cast<long>(worker_ranks().size()));
  });
}

TEST(Value, FetchAddOnDouble) {
  on_rank0([] {
    mpp::Value<double> v(1.0);
    on_every_worker(add_doubles, v, 1000);
    EXPECT_DOUBLE_EQ(v.load(), 1.0 + 500.0 * static_cast<double>(worker_ranks().size()));
  });
}

TEST(Value, LockedReadModifyWriteIsExact) {
  on_rank0([] {
    mpp::Value<int> v(0);
    on_every_worker(locked_increments, v, 500);
    EXPECT_EQ(v.load(), 500 * static_cast<int>(worker_ranks().size()));
  });
}

TEST(Value, CompareExchange) {
  on_rank0([] {
    mpp::Value<std::int64_t> v(10);
    std::int64_t expected = 11;
    EXPECT_FALSE(v.compare_exchange(expected, 20));
    EXPECT_EQ(expected, 10);
    EXPECT_TRUE(v.compare_exchange(expected, 20));
    EXPECT_EQ(v.load(), 20);
    on_every_worker(cas_increments, v, 500);
    EXPECT_EQ(v.load(), 20 + 500 * static_cast<std::int64_t>(worker_ranks().size()));
  });
}

TEST(Value, ExchangeLosesNothing) {
  on_rank0([] {
    mpp::Value<int> v(0);
    mpp::Value<long> sum(0);
    const int n = 300;
    on_every_worker(exchange_tokens, v, sum, n);
    const long k = static_cast<long>(worker_ranks().size());
    // Tokens 1..n from each worker: all but the last one left in v went into sum.
    EXPECT_EQ(sum.load() + v.load(), k * n * (n + 1) / 2);
  });
}

TEST(Value, WideValuesAreNeverTorn) {
  on_rank0([] {
    mpp::Value<Triple> v(Triple{1, 2, 3});
    const Triple t = v.load();
    EXPECT_EQ(t.x, 1);
    EXPECT_EQ(t.z, 3);
    std::vector<mpp::RemoteCall<int>> calls;
    for (int r : worker_ranks()) calls.push_back(mpp::submit_to(r, torn_reads, v, 300, r));
    for (auto& c : calls) EXPECT_EQ(c.get(), 0);
    Triple expected{5, 5, 5};
    EXPECT_FALSE(v.compare_exchange(expected, Triple{6, 6, 6}));
    EXPECT_TRUE(v.compare_exchange(expected, Triple{6, 6, 6}));
    EXPECT_EQ(v.exchange(Triple{7, 7, 7}).x, 6);
  });
}

TEST(Value, WithoutLockHasNoGetLock) {
  on_rank0([] {
    mpp::Value<int> v(0, mpp::lock = false);
    EXPECT_THROW(v.get_lock(), mpp::ValueError);
    v.fetch_add(3);
    EXPECT_EQ(v.load(), 3);
    mpp::Value<int> w(0, mpp::lock = true);
    EXPECT_NO_THROW(w.get_lock());
  });
}

TEST(Lock, TryLockAcquireRelease) {
  on_rank0([] {
    mpp::Lock lock;
    EXPECT_TRUE(lock.try_lock());
    EXPECT_FALSE(lock.try_lock());
    EXPECT_FALSE(lock.acquire(false));
    EXPECT_FALSE(lock.acquire(true, 30ms));
    if (mpp::worker_count() > 0) {
      EXPECT_FALSE(mpp::call_on(1, [](mpp::Lock l) { return l.try_lock(); }, lock));
    }
    lock.release();
    EXPECT_TRUE(lock.acquire(true, 30ms));
    // Like Python's Lock, another rank may release it.
    mpp::call_on(worker_ranks().front(), [](mpp::Lock l) { l.release(); }, lock);
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
  });
}

TEST(Lock, ReleasingAnUnlockedLockIsAValueError) {
  on_rank0([] {
    mpp::Lock lock;
    EXPECT_THROW(lock.release(), mpp::ValueError);
    try {
      mpp::call_on(worker_ranks().front(), [](mpp::Lock l) { l.release(); }, lock);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::ValueError");
    }
  });
}

TEST(Lock, AcquireWithTimeoutWaitsForARelease) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "needs a worker to hold the lock";
    mpp::Lock lock;
    lock.lock();
    auto waiter = mpp::submit_to(1, [](mpp::Lock l) { return l.acquire(true, std::chrono::seconds(20)); }, lock);
    EXPECT_THROW(waiter.get(100ms), mpp::TimeoutError);  // still waiting on the lock
    lock.unlock();
    EXPECT_TRUE(waiter.get());
    EXPECT_FALSE(lock.try_lock());  // the worker holds it now
  });
}

namespace {
// Runs on a worker while rank 0 computes without entering MPI: how long the atomics took.
double timed_adds(mpp::Value<long> v, int n) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) v.fetch_add(1);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void compute_without_mpi(std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  volatile double sink = 0;
  while (std::chrono::steady_clock::now() < until)
    for (int i = 0; i < 1000; ++i) sink = sink + 1e-9 * i;
}
}  // namespace

// Across TCP hosts (osc/pt2pt) an operation completes only while its target is inside MPI;
// the progress thread must keep a computing rank 0 serving the Value it owns.
TEST(Progress, BusyOwnerStillServesAtomics) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "needs a worker";
    mpp::Value<long> v(0);
    auto call = mpp::submit_to(mpp::worker_count(), timed_adds, v, 200);
    compute_without_mpi(2000ms);
    const double seconds = call.get();
    EXPECT_EQ(v.load(), 200);
    EXPECT_LT(seconds, 1.0) << "the worker's atomics waited for rank 0 to stop computing";
  });
}

// ---- The tutorials' shared-counter patterns, run by processes ------------------------------

namespace {

// Across hosts every atomic is a TCP round trip (osc pt2pt): fewer rounds there keep a test
// well inside its deadline; on one host the full count.
int scaled(int rounds) {
  for (int r = 1; r <= mpp::worker_count(); ++r)
    if (mpp::host_of(r) != mpp::hostname()) return std::max(rounds / 10, 10);
  return rounds;
}

void run_processes(std::vector<mpp::Process>& ps) {
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  for (auto& p : ps) EXPECT_EQ(p.exitcode(), std::optional<int>(0)) << p.name();
}

void unlocked_increments(mpp::Value<long> v, int n, mpp::Barrier start) {
  start.wait();  // all at once, so that they race
  for (int i = 0; i < n; ++i) v.store(v.load() + 1);
}
void lock_per_increment(mpp::Value<long> v, int n, mpp::Barrier start) {
  start.wait();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(v.get_lock());
    v.store(v.load() + 1);
  }
}
void lock_around_loop(mpp::Value<long> v, int n, mpp::Barrier start) {
  start.wait();
  std::lock_guard guard(v.get_lock());
  for (int i = 0; i < n; ++i) v.store(v.load() + 1);
}
void add_times(mpp::Value<long> v, long delta, int n, mpp::Barrier start) {
  start.wait();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(v.get_lock());
    v.store(v.load() + delta);
  }
}
// The bank-account tutorial: deposits and withdrawals, each a locked read-modify-write, with
// a withdrawal refused (and counted) when the balance is too low.
void deposits(mpp::Value<double> balance, int n, double amount, mpp::Barrier start) {
  start.wait();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(balance.get_lock());
    balance.store(balance.load() + amount);
  }
}
void withdrawals(mpp::Value<double> balance, mpp::Value<long> refused, int n, double amount,
                 mpp::Barrier start) {
  start.wait();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(balance.get_lock());
    const double now = balance.load();
    if (now < amount) {
      refused.fetch_add(1);
      continue;
    }
    balance.store(now - amount);
  }
}

}  // namespace

TEST(ValueTutorial, CounterWithoutALockLosesUpdates) {
  on_rank0([] {
    const int processes = 4, n = scaled(2000);
    mpp::Value<long> v(0);
    mpp::Barrier start(processes);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < processes; ++i) ps.emplace_back(unlocked_increments, v, n, start);
    run_processes(ps);
    const long lost = processes * n - v.load();
    // Reported, not asserted: how many updates race away depends on scheduling.
    RecordProperty("lost_updates", static_cast<int>(lost));
    std::printf("[ info     ] without a lock: %ld of %d increments lost\n", lost, processes * n);
    EXPECT_GE(lost, 0);
    EXPECT_LE(v.load(), processes * n);
  });
}

TEST(ValueTutorial, CounterWithALockPerIncrementIsExact) {
  on_rank0([] {
    mpp::Value<long> v(0);
    std::vector<mpp::Process> ps;
    mpp::Barrier start(4);
    for (int i = 0; i < 4; ++i) ps.emplace_back(lock_per_increment, v, scaled(2000), start);
    run_processes(ps);
    EXPECT_EQ(v.load(), 4 * scaled(2000));
  });
}

TEST(ValueTutorial, CounterWithALockAroundTheLoopIsExact) {
  on_rank0([] {
    mpp::Value<long> v(0);
    std::vector<mpp::Process> ps;
    mpp::Barrier start(4);
    for (int i = 0; i < 4; ++i) ps.emplace_back(lock_around_loop, v, scaled(2000), start);
    run_processes(ps);
    EXPECT_EQ(v.load(), 4 * scaled(2000));
  });
}

TEST(ValueTutorial, FiveHundredAddsAndFiveHundredSubtracts) {
  on_rank0([] {
    mpp::Value<long> v(100);
    std::vector<mpp::Process> ps;
    mpp::Barrier start(2);
    ps.emplace_back(add_times, v, 1L, 500, start);
    ps.emplace_back(add_times, v, -1L, 500, start);
    run_processes(ps);
    EXPECT_EQ(v.load(), 100);
  });
}

TEST(ValueTutorial, BankAccountBalanceIsExact) {
  on_rank0([] {
    mpp::Value<double> balance(200.0);
    mpp::Value<long> refused4(0), refused3(0);
    std::vector<mpp::Process> ps;
    mpp::Barrier start(4);
    ps.emplace_back(deposits, balance, scaled(300), 5.0, start);
    ps.emplace_back(deposits, balance, scaled(300), 2.0, start);
    ps.emplace_back(withdrawals, balance, refused4, scaled(300), 4.0, start);
    ps.emplace_back(withdrawals, balance, refused3, scaled(300), 3.0, start);
    run_processes(ps);
    // Whole amounts: double arithmetic is exact here, so the balance must match to the cent.
    const double n = scaled(300);
    const double expected = 200.0 + n * 5.0 + n * 2.0 -
                            (n - static_cast<double>(refused4.load())) * 4.0 -
                            (n - static_cast<double>(refused3.load())) * 3.0;
    EXPECT_EQ(balance.load(), expected);
    EXPECT_GE(balance.load(), 0.0);
  });
}

TEST(ValueTutorial, GetLockIsReentrant) {
  on_rank0([] {
    mpp::Value<int> v(1);
    std::lock_guard outer(v.get_lock());
    std::lock_guard inner(v.get_lock());  // an RLock, as in Python: no deadlock
    v.store(v.load() + 1);
    EXPECT_TRUE(v.get_lock().is_owned());
    EXPECT_EQ(v.load(), 2);
  });
}
