// mpp::Lock and mpp::RLock: mutual exclusion across ranks and threads, FIFO order, timed
// acquires that leave the queue, release by other ranks, re-entry, and every error.
#include <algorithm>
#include <chrono>
#include <mpp/mpp.hpp>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

// Across hosts every atomic is a TCP round trip (osc pt2pt): fewer rounds there keep a test
// well inside its deadline; on one host the full count.
int scaled(int rounds) {
  for (int r = 1; r <= mpp::worker_count(); ++r)
    if (mpp::host_of(r) != mpp::hostname()) return std::max(rounds / 10, 10);
  return rounds;
}

// Starts every process, joins them all, and checks that each ended normally.
void run_all(std::vector<mpp::Process>& ps) {
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  for (auto& p : ps) EXPECT_EQ(p.exitcode(), std::optional<int>(0)) << p.name();
}

// Two processes per worker (at least 4): threads of one rank queue independently.
int checker_processes() { return std::max(4, 2 * mpp::worker_count()); }

// The checker: `inside` counts the threads in the critical section, which must never exceed
// one; `total` is a plain load + store increment that loses updates unless excluded.
template <class L>
void exclusion_checker(L lock, mpp::Value<long> inside, mpp::Value<long> violations,
                       mpp::Value<long> total, int rounds, mpp::Barrier start) {
  start.wait();  // all at once, so that they contend
  for (int i = 0; i < rounds; ++i) {
    std::lock_guard guard(lock);
    if (inside.fetch_add(1) != 0) violations.fetch_add(1);
    total.store(total.load() + 1);
    inside.fetch_add(-1);
  }
}

template <class L>
void check_mutual_exclusion(L lock, int rounds) {
  mpp::Value<long> inside(0), violations(0), total(0);
  mpp::Barrier start(checker_processes());
  std::vector<mpp::Process> ps;
  for (int i = 0; i < checker_processes(); ++i)
    ps.emplace_back(exclusion_checker<L>, lock, inside, violations, total, rounds, start);
  run_all(ps);
  EXPECT_EQ(violations.load(), 0) << "two threads were inside the critical section at once";
  EXPECT_EQ(total.load(), static_cast<long>(rounds) * checker_processes());
  if constexpr (std::is_same_v<L, mpp::Lock>) {
    EXPECT_EQ(mpp::detail::lock_tail(lock), 0u);
  }
}

void wait_until_queued(const mpp::Lock& lock, std::uint64_t tail_before) {
  while (mpp::detail::lock_tail(lock) == tail_before) std::this_thread::sleep_for(1ms);
}

// Records the order in which waiters got the lock.
void take_turn(mpp::Lock lock, mpp::Value<int> next, mpp::Array<int> order, int me) {
  std::lock_guard guard(lock);
  order.set(static_cast<std::size_t>(next.fetch_add(1)), me);
}

// A timed acquire: 1 if acquired (then released), 0 if timed out; written to result[me].
void timed_take(mpp::Lock lock, mpp::Array<int> result, int me, int timeout_ms,
                mpp::Value<int> next, mpp::Array<int> order) {
  if (!lock.acquire(true, std::chrono::milliseconds(timeout_ms))) {
    result.set(static_cast<std::size_t>(me), 0);
    return;
  }
  order.set(static_cast<std::size_t>(next.fetch_add(1)), me);
  result.set(static_cast<std::size_t>(me), 1);
  lock.release();
}

bool acquire_and_keep(mpp::Lock lock) { return lock.acquire(); }

}  // namespace

TEST(Lock, MutualExclusionChecker) {
  on_rank0([] { check_mutual_exclusion(mpp::Lock(), scaled(2000)); });
}

TEST(RLock, MutualExclusionChecker) {
  on_rank0([] { check_mutual_exclusion(mpp::RLock(), scaled(2000)); });
}

TEST(Lock, StandardLockables) {
  on_rank0([] {
    mpp::Lock a, b;
    {
      std::scoped_lock both(a, b);
      EXPECT_FALSE(a.try_lock());
      EXPECT_FALSE(b.try_lock());
      EXPECT_TRUE(a.locked());
    }
    std::unique_lock first(a, std::try_to_lock);
    EXPECT_TRUE(first.owns_lock());
    std::unique_lock second(a, std::try_to_lock);
    EXPECT_FALSE(second.owns_lock());
    first.unlock();
    EXPECT_FALSE(a.locked());
    EXPECT_TRUE(second.try_lock());
  });
}

TEST(Lock, WaitersAreServedInArrivalOrder) {
  on_rank0([] {
    const int waiters = 6;
    mpp::Lock lock;
    mpp::Value<int> next(0);
    mpp::Array<int> order(waiters, -1);
    lock.lock();
    std::vector<mpp::Process> ps;
    for (int i = 0; i < waiters; ++i) {
      const auto tail = mpp::detail::lock_tail(lock);
      ps.emplace_back(take_turn, lock, next, order, i);
      ps.back().start();
      wait_until_queued(lock, tail);  // queued before the next one starts
    }
    lock.unlock();
    for (auto& p : ps) p.join();
    std::vector<int> expected(waiters);
    for (int i = 0; i < waiters; ++i) expected[static_cast<std::size_t>(i)] = i;
    EXPECT_EQ(order.to_vector(), expected);
    EXPECT_EQ(mpp::detail::lock_tail(lock), 0u);
  });
}

TEST(Lock, TimedAcquireUnderContentionLeavesTheQueue) {
  on_rank0([] {
    // Queued in this order; the short ones give up while rank 0 holds the lock, the long
    // ones must then get it, in their order, past the abandoned queue nodes.
    const std::vector<int> timeouts = {50, 20000, 50, 50, 20000, 50};
    const int n = static_cast<int>(timeouts.size());
    mpp::Lock lock;
    mpp::Value<int> next(0);
    mpp::Array<int> result(timeouts.size(), -1), order(timeouts.size(), -1);
    lock.lock();
    std::vector<mpp::Process> ps;
    for (int i = 0; i < n; ++i) {
      const auto tail = mpp::detail::lock_tail(lock);
      ps.emplace_back(timed_take, lock, result, i, timeouts[static_cast<std::size_t>(i)], next,
                      order);
      ps.back().start();
      wait_until_queued(lock, tail);
    }
    for (int i = 0; i < n; ++i)
      if (timeouts[static_cast<std::size_t>(i)] < 1000) ps[static_cast<std::size_t>(i)].join();
    EXPECT_FALSE(lock.acquire(true, 20ms));  // a timed-out acquire of its own, behind them all
    lock.unlock();
    for (auto& p : ps) p.join();
    EXPECT_EQ(result.to_vector(), (std::vector<int>{0, 1, 0, 0, 1, 0}));
    EXPECT_EQ(order.get(0, 2), (std::vector<int>{1, 4}));
    EXPECT_EQ(next.load(), 2);
    EXPECT_EQ(mpp::detail::lock_tail(lock), 0u) << "the queue did not drain";
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
  });
}

TEST(Lock, ReleasedByAnotherRankManyTimes) {
  on_rank0([] {
    // The acquiring rank's queue node is retired by the releasing rank each time: the node
    // pool must take such nodes back rather than grow without end.
    mpp::Lock lock;
    const int worker = mpp::worker_count() == 0 ? 0 : 1;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(mpp::call_on(worker, acquire_and_keep, lock));
      EXPECT_FALSE(lock.try_lock());
      lock.release();
    }
    EXPECT_TRUE(lock.try_lock());
    lock.release();
    EXPECT_THROW(lock.release(), mpp::ValueError);
  });
}

TEST(Lock, DoubleReleaseIsAValueError) {
  on_rank0([] {
    mpp::Lock lock;
    lock.lock();
    lock.unlock();
    try {
      lock.unlock();
      ADD_FAILURE() << "no exception";
    } catch (const mpp::ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("not held"), std::string::npos) << e.what();
    }
  });
}

namespace {
int nested_depth(mpp::RLock lock, int depth) {
  for (int i = 0; i < depth; ++i) lock.acquire();
  const bool owned = lock.is_owned();
  for (int i = 0; i < depth; ++i) lock.release();
  return owned && !lock.is_owned() ? depth : -1;
}
bool try_rlock(mpp::RLock lock) {
  if (!lock.try_lock()) return false;
  lock.release();
  return true;
}
void release_foreign(mpp::RLock lock, mpp::Value<int> outcome) {
  try {
    lock.release();
    outcome.store(1);
  } catch (const mpp::RuntimeError&) {
    outcome.store(2);
  }
}
void hold_then_report(mpp::RLock lock, mpp::Value<int> outcome) {
  outcome.store(try_rlock(lock) ? 1 : 2);
}
}  // namespace

TEST(RLock, ReentersAndCountsLevels) {
  on_rank0([] {
    mpp::RLock lock;
    EXPECT_FALSE(lock.is_owned());
    {
      std::lock_guard outer(lock);
      std::lock_guard inner(lock);
      EXPECT_TRUE(lock.try_lock());
      EXPECT_TRUE(lock.acquire(true, 10ms));
      lock.release();
      lock.release();
      EXPECT_TRUE(lock.is_owned());
    }
    EXPECT_FALSE(lock.is_owned());
    EXPECT_EQ(mpp::call_on(mpp::worker_count() == 0 ? 0 : 1, nested_depth, lock, 5), 5);
  });
}

TEST(RLock, OtherThreadsWaitUntilTheLastLevelIsReleased) {
  on_rank0([] {
    mpp::RLock lock;
    mpp::Value<int> outcome(0);
    lock.acquire();
    lock.acquire();
    lock.release();  // still held once
    mpp::Process p(hold_then_report, lock, outcome);
    p.start();
    p.join();
    EXPECT_EQ(outcome.load(), 2) << "another thread took an RLock that is still held";
    lock.release();
    mpp::Process q(hold_then_report, lock, outcome);
    q.start();
    q.join();
    EXPECT_EQ(outcome.load(), 1);
  });
}

TEST(RLock, ReleaseByANonOwnerIsARuntimeError) {
  on_rank0([] {
    mpp::RLock lock;
    EXPECT_THROW(lock.release(), mpp::RuntimeError);  // never acquired
    lock.acquire();
    // Another thread (a process: on a worker, or a thread of rank 0 without workers).
    mpp::Value<int> outcome(0);
    mpp::Process p(release_foreign, lock, outcome);
    p.start();
    p.join();
    EXPECT_EQ(outcome.load(), 2);
    if (mpp::worker_count() > 0) {
      try {
        mpp::call_on(
            1, [](mpp::RLock l) { l.release(); }, lock);
        ADD_FAILURE() << "no exception";
      } catch (const mpp::RemoteError& e) {
        EXPECT_EQ(e.type_name(), "mpp::RuntimeError");
      }
    }
    EXPECT_TRUE(lock.is_owned());  // the failed releases changed nothing
    lock.release();
    EXPECT_THROW(lock.release(), mpp::RuntimeError);
  });
}

TEST(RLock, TimedAcquireGivesUpWhileHeldElsewhere) {
  on_rank0([] {
    mpp::RLock lock;
    lock.acquire();
    const int where = mpp::worker_count() == 0 ? 0 : 1;
    if (where != 0) {
      EXPECT_FALSE(mpp::call_on(
          where, [](mpp::RLock l) { return l.acquire(true, std::chrono::milliseconds(30)); },
          lock));
      EXPECT_FALSE(mpp::call_on(
          where, [](mpp::RLock l) { return l.acquire(false); }, lock));
    }
    lock.release();
    EXPECT_TRUE(mpp::call_on(where, try_rlock, lock));
  });
}
