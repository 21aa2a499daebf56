// Semaphore, BoundedSemaphore, Event, Condition and Barrier across ranks and threads.
#include <chrono>
#include <mpp/mpp.hpp>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

void run_all(std::vector<mpp::Process>& ps) {
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  for (auto& p : ps) EXPECT_EQ(p.exitcode(), std::optional<int>(0)) << p.name();
}

int worker_rank() { return mpp::worker_count() == 0 ? 0 : 1; }

template <class T>
void wait_for_value(mpp::Value<T> v, T expected) {
  while (v.load() != expected) std::this_thread::sleep_for(1ms);
}

// ---- Semaphore -------------------------------------------------------------------------------

void limited_section(mpp::BoundedSemaphore slots, mpp::Value<int> active, mpp::Value<int> peak,
                     int rounds) {
  for (int i = 0; i < rounds; ++i) {
    std::lock_guard guard(slots);
    const int now = active.fetch_add(1) + 1;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange(seen, now)) {
    }
    std::this_thread::yield();
    active.fetch_add(-1);
  }
}

}  // namespace

TEST(Semaphore, CountsTimesOutAndReleasesMany) {
  on_rank0([] {
    mpp::Semaphore sem(2);
    EXPECT_EQ(sem.get_value(), 2);
    EXPECT_TRUE(sem.acquire());
    EXPECT_TRUE(sem.acquire(true, 10ms));
    EXPECT_FALSE(sem.acquire(false));
    EXPECT_FALSE(sem.acquire(true, 30ms));
    EXPECT_FALSE(mpp::call_on(
        worker_rank(), [](mpp::Semaphore s) { return s.try_lock(); }, sem));
    sem.release(3);  // an unbounded semaphore may rise above its start
    EXPECT_EQ(sem.get_value(), 3);
    EXPECT_TRUE(mpp::call_on(
        worker_rank(), [](mpp::Semaphore s) { return s.acquire(true, std::chrono::seconds(5)); },
        sem));
    EXPECT_EQ(sem.get_value(), 2);
    EXPECT_THROW(sem.release(0), mpp::ValueError);
    EXPECT_THROW(mpp::Semaphore(-1), mpp::ValueError);
    mpp::Semaphore zero(0);
    EXPECT_FALSE(zero.acquire(false));
  });
}

TEST(Semaphore, AWaiterTakesAReleasedUnit) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "needs a worker to wait";
    mpp::Semaphore sem(0);
    auto waiter = mpp::submit_to(
        1, [](mpp::Semaphore s) { return s.acquire(true, std::chrono::seconds(20)); }, sem);
    EXPECT_THROW(waiter.get(100ms), mpp::TimeoutError);
    sem.release();
    EXPECT_TRUE(waiter.get());
    EXPECT_EQ(sem.get_value(), 0);
  });
}

TEST(BoundedSemaphore, LimitsHoldersAcrossRanks) {
  on_rank0([] {
    mpp::BoundedSemaphore slots(2);
    mpp::Value<int> active(0), peak(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < 5; ++i) ps.emplace_back(limited_section, slots, active, peak, 100);
    run_all(ps);
    EXPECT_LE(peak.load(), 2);
    EXPECT_GE(peak.load(), 1);
    EXPECT_EQ(active.load(), 0);
    EXPECT_EQ(slots.get_value(), 2);
  });
}

TEST(BoundedSemaphore, ReleasePastTheInitialValueIsAValueError) {
  on_rank0([] {
    mpp::BoundedSemaphore sem(1);
    EXPECT_THROW(sem.release(), mpp::ValueError);
    sem.acquire();
    EXPECT_THROW(sem.release(2), mpp::ValueError);
    sem.release();
    EXPECT_EQ(sem.get_value(), 1);
    try {
      mpp::call_on(
          worker_rank(), [](mpp::BoundedSemaphore s) { s.release(); }, sem);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::ValueError");
    }
    EXPECT_EQ(sem.get_value(), 1);
  });
}

// ---- Event -----------------------------------------------------------------------------------

namespace {
void wait_on_event(mpp::Event e, mpp::Value<int> waiting, mpp::Value<int> woken) {
  waiting.fetch_add(1);
  if (e.wait(std::chrono::seconds(30))) woken.fetch_add(1);
}
}  // namespace

TEST(Event, SetClearIsSetAndWait) {
  on_rank0([] {
    mpp::Event e;
    EXPECT_FALSE(e.is_set());
    EXPECT_FALSE(e.wait(20ms));
    e.set();
    e.set();
    EXPECT_TRUE(e.is_set());
    EXPECT_TRUE(e.wait());
    EXPECT_TRUE(mpp::call_on(
        worker_rank(),
        [](mpp::Event x) { return x.is_set() && x.wait(std::chrono::milliseconds(1)); }, e));
    e.clear();
    EXPECT_FALSE(e.is_set());
    EXPECT_FALSE(mpp::call_on(
        worker_rank(), [](mpp::Event x) { return x.wait(std::chrono::milliseconds(20)); }, e));
  });
}

TEST(Event, SetWakesEveryWaiter) {
  on_rank0([] {
    mpp::Event e;
    mpp::Value<int> waiting(0), woken(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < 4; ++i) ps.emplace_back(wait_on_event, e, waiting, woken);
    for (auto& p : ps) p.start();
    wait_for_value(waiting, 4);
    EXPECT_EQ(woken.load(), 0);
    e.set();
    for (auto& p : ps) p.join();
    EXPECT_EQ(woken.load(), 4);
  });
}

// ---- Condition -------------------------------------------------------------------------------

namespace {

// A bounded buffer (a ring of slots): the classic two-condition producer/consumer over one RLock.
void put(mpp::Array<long> slots, mpp::Value<long> head, mpp::Value<long> count,
         mpp::Condition not_empty, mpp::Condition not_full, long item) {
  std::lock_guard guard(not_full);  // the lock both conditions share
  not_full.wait_for([&] { return count.load() < static_cast<long>(slots.size()); });
  const long n = count.load();
  slots.set(static_cast<std::size_t>((head.load() + n) % static_cast<long>(slots.size())), item);
  count.store(n + 1);
  not_empty.notify();
}

long take(mpp::Array<long> slots, mpp::Value<long> head, mpp::Value<long> count,
          mpp::Condition not_empty, mpp::Condition not_full) {
  std::lock_guard guard(not_empty);
  not_empty.wait_for([&] { return count.load() > 0; });
  const long h = head.load();
  const long item = slots.get(static_cast<std::size_t>(h));
  head.store((h + 1) % static_cast<long>(slots.size()));
  count.store(count.load() - 1);
  not_full.notify();
  return item;
}

void producer(mpp::Array<long> slots, mpp::Value<long> head, mpp::Value<long> count,
              mpp::Condition not_empty, mpp::Condition not_full, long id, int items) {
  for (long i = 1; i <= items; ++i) put(slots, head, count, not_empty, not_full, id * 1000 + i);
}

void consumer(mpp::Array<long> slots, mpp::Value<long> head, mpp::Value<long> count,
              mpp::Condition not_empty, mpp::Condition not_full, mpp::Value<long> sum,
              mpp::Value<long> taken) {
  for (;;) {
    const long item = take(slots, head, count, not_empty, not_full);
    if (item < 0) return;  // the end marker
    sum.fetch_add(item);
    taken.fetch_add(1);
  }
}

void wait_and_count(mpp::Condition cv, mpp::Value<int> waiting, mpp::Value<int> woken) {
  std::lock_guard guard(cv);
  waiting.fetch_add(1);
  if (cv.wait(std::chrono::seconds(30))) woken.fetch_add(1);
}

}  // namespace

TEST(Condition, ProducersAndConsumersThroughABoundedBuffer) {
  on_rank0([] {
    const int producers = 3, consumers = 2, items = 40;
    mpp::RLock lock;
    mpp::Array<long> slots(4, 0L);
    mpp::Value<long> head(0), count(0), sum(0), taken(0);
    mpp::Condition not_empty(lock), not_full(lock);
    std::vector<mpp::Process> ps, cs;
    for (long id = 1; id <= producers; ++id)
      ps.emplace_back(producer, slots, head, count, not_empty, not_full, id, items);
    for (int i = 0; i < consumers; ++i)
      cs.emplace_back(consumer, slots, head, count, not_empty, not_full, sum, taken);
    for (auto& c : cs) c.start();
    run_all(ps);
    for (int i = 0; i < consumers; ++i) put(slots, head, count, not_empty, not_full, -1);
    for (auto& c : cs) EXPECT_TRUE(c.join(60s));
    long expected = 0;
    for (long id = 1; id <= producers; ++id)
      expected += id * 1000 * items + items * (items + 1) / 2;
    EXPECT_EQ(taken.load(), producers * items);
    EXPECT_EQ(sum.load(), expected);
    EXPECT_EQ(count.load(), 0);
  });
}

TEST(Condition, NotifyWakesExactlyNThenAll) {
  on_rank0([] {
    mpp::Condition cv;
    mpp::Value<int> waiting(0), woken(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < 3; ++i) ps.emplace_back(wait_and_count, cv, waiting, woken);
    for (auto& p : ps) p.start();
    // A waiter counts itself while holding the lock and queues before it lets go: once rank 0
    // holds the lock and sees 3, all three are queued.
    for (;;) {
      std::lock_guard guard(cv);
      if (waiting.load() == 3) break;
    }
    {
      std::lock_guard guard(cv);
      cv.notify(2);
    }
    wait_for_value(woken, 2);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(woken.load(), 2) << "notify(2) woke more than two";
    {
      std::lock_guard guard(cv);
      cv.notify_all();
    }
    for (auto& p : ps) EXPECT_TRUE(p.join(60s));
    EXPECT_EQ(woken.load(), 3);
  });
}

TEST(Condition, WaitTimesOutWithTheLockHeldAgain) {
  on_rank0([] {
    mpp::RLock lock;
    mpp::Condition cv(lock);
    std::lock_guard outer(lock);
    std::lock_guard inner(cv);  // two levels: wait() gives up both and takes both back
    EXPECT_FALSE(cv.wait(30ms));
    EXPECT_TRUE(lock.is_owned());
    EXPECT_FALSE(cv.wait_for([] { return false; }, 30ms));
    EXPECT_TRUE(cv.wait_for([] { return true; }, 30ms));
    cv.notify();  // no waiter: nothing happens
    cv.release();
    EXPECT_TRUE(lock.is_owned());  // still the outer level
    cv.acquire();                  // for the inner guard to release
  });
}

TEST(Condition, OverAPlainLock) {
  on_rank0([] {
    mpp::Lock lock;
    mpp::Condition cv(lock);
    mpp::Value<int> waiting(0), woken(0);
    mpp::Process p(wait_and_count, cv, waiting, woken);
    p.start();
    for (;;) {
      std::lock_guard guard(lock);
      if (waiting.load() == 1) break;
    }
    {
      std::lock_guard guard(cv);
      cv.notify_all();
    }
    p.join();
    EXPECT_EQ(woken.load(), 1);
    std::lock_guard guard(cv);
    EXPECT_FALSE(cv.wait(20ms));
  });
}

TEST(Condition, WaitOrNotifyWithoutTheLockIsARuntimeError) {
  on_rank0([] {
    mpp::Condition cv;
    EXPECT_THROW(cv.wait(10ms), mpp::RuntimeError);
    EXPECT_THROW(cv.notify(), mpp::RuntimeError);
    EXPECT_THROW(cv.notify_all(), mpp::RuntimeError);
    mpp::Condition over_lock{mpp::Lock()};
    EXPECT_THROW(over_lock.notify(), mpp::RuntimeError);
    EXPECT_THROW(over_lock.wait(), mpp::RuntimeError);
    cv.acquire();  // held by rank 0's main thread: another thread still may not notify
    try {
      mpp::call_on(
          worker_rank(), [](mpp::Condition c) { c.notify(); }, cv);
      if (mpp::worker_count() > 0) ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::RuntimeError");
    }
    cv.release();
  });
}

// ---- Barrier ---------------------------------------------------------------------------------

namespace {

long action_runs_local = 0;  // a one-party barrier's action runs on rank 0 itself
void count_action() { ++action_runs_local; }

void barrier_rounds(mpp::Barrier b, mpp::Array<long> arrived, mpp::Array<long> index_sum,
                    mpp::Value<long> errors, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    arrived.fetch_add(static_cast<std::size_t>(r), 1);
    const int index = b.wait();
    index_sum.fetch_add(static_cast<std::size_t>(r), index);
    if (arrived.get(static_cast<std::size_t>(r)) != b.parties()) errors.fetch_add(1);
  }
}

void wait_expect_broken(mpp::Barrier b, mpp::Value<int> broken) {
  try {
    b.wait(std::chrono::seconds(30));
  } catch (const mpp::BrokenBarrierError&) {
    broken.fetch_add(1);
  }
}

void throwing_action() { throw std::runtime_error("action failed"); }

}  // namespace

TEST(Barrier, ReusedAThousandTimes) {
  on_rank0([] {
    const int parties = 4, rounds = 1000;
    mpp::Barrier b(parties);
    mpp::Array<long> arrived(rounds, 0L), index_sum(rounds, 0L);
    mpp::Value<long> errors(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < parties; ++i)
      ps.emplace_back(barrier_rounds, b, arrived, index_sum, errors, rounds);
    run_all(ps);
    EXPECT_EQ(errors.load(), 0) << "a party left a round before everyone arrived";
    EXPECT_EQ(index_sum.to_vector(), std::vector<long>(rounds, 0 + 1 + 2 + 3))
        << "indices not 0..3 each round";
    EXPECT_EQ(b.n_waiting(), 0);
    EXPECT_FALSE(b.broken());
  });
}

TEST(Barrier, TheLastArrivalRunsTheAction) {
  on_rank0([] {
    action_runs_local = 0;
    mpp::Barrier b(1, count_action);  // one party: every wait is the last arrival, on rank 0
    EXPECT_EQ(b.parties(), 1);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(b.wait(), 0);
    EXPECT_EQ(action_runs_local, 5);
    mpp::Barrier timed(
        1, [] { ++action_runs_local; }, 5s);
    EXPECT_EQ(timed.wait(), 0);
    EXPECT_EQ(action_runs_local, 6);
  });
}

TEST(Barrier, NWaitingAndArrivalIndices) {
  on_rank0([] {
    mpp::Barrier b(3);
    mpp::Array<long> arrived(1, 0L), index_sum(1, 0L);
    mpp::Value<long> errors(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < 2; ++i) ps.emplace_back(barrier_rounds, b, arrived, index_sum, errors, 1);
    for (auto& p : ps) p.start();
    while (b.n_waiting() != 2) std::this_thread::sleep_for(1ms);
    arrived.fetch_add(0, 1);
    const int mine = b.wait();
    EXPECT_EQ(mine, 2);
    index_sum.fetch_add(0, mine);
    for (auto& p : ps) EXPECT_TRUE(p.join(60s));
    EXPECT_EQ(index_sum.get(0), 3);
    EXPECT_EQ(errors.load(), 0);
  });
}

TEST(Barrier, AbortResetTimeoutAndFailingActionBreakIt) {
  on_rank0([] {
    EXPECT_THROW(mpp::Barrier(0), mpp::ValueError);
    mpp::Barrier b(2);
    b.abort();
    EXPECT_TRUE(b.broken());
    EXPECT_THROW(b.wait(), mpp::BrokenBarrierError);
    try {
      mpp::call_on(
          worker_rank(), [](mpp::Barrier x) { x.wait(); }, b);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::BrokenBarrierError");
    } catch (const mpp::BrokenBarrierError&) {
      EXPECT_EQ(mpp::worker_count(), 0);  // without workers the task ran in place
    }
    b.reset();
    EXPECT_FALSE(b.broken());

    // A wait that times out breaks the barrier for everyone.
    EXPECT_THROW(b.wait(20ms), mpp::BrokenBarrierError);
    EXPECT_TRUE(b.broken());
    b.reset();

    // reset() while a thread waits: that thread raises, the barrier is usable again.
    mpp::Value<int> broken(0);
    mpp::Process p(wait_expect_broken, b, broken);
    p.start();
    while (b.n_waiting() != 1) std::this_thread::sleep_for(1ms);
    b.reset();
    p.join();
    EXPECT_EQ(broken.load(), 1);
    EXPECT_FALSE(b.broken());

    // An action that throws: its caller gets the exception, the others BrokenBarrierError.
    mpp::Barrier failing(2, throwing_action);
    mpp::Process q(wait_expect_broken, failing, broken);
    q.start();
    while (failing.n_waiting() != 1) std::this_thread::sleep_for(1ms);
    try {
      failing.wait();
      ADD_FAILURE() << "no exception";
    } catch (const mpp::BrokenBarrierError& e) {
      ADD_FAILURE() << "the action's caller got " << e.what();
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "action failed");
    }
    q.join();
    EXPECT_EQ(broken.load(), 2);
    EXPECT_TRUE(failing.broken());
  });
}

// ---- Through a Pool ---------------------------------------------------------------------------

namespace {
// Each task takes the lock, bumps its slot of the array, and waits at the event it is given.
long pool_task(mpp::Lock lock, mpp::Array<long> slots, mpp::Semaphore sem, mpp::Event go, long i) {
  go.wait(std::chrono::seconds(30));
  std::lock_guard guard(lock);
  std::lock_guard slot(sem);
  slots.fetch_add(static_cast<std::size_t>(i) % slots.size(), 1);
  return i;
}
}  // namespace

TEST(SharedObjects, TravelAsArgumentsOfPoolTasks) {
  on_rank0([] {
    mpp::Lock lock;
    mpp::Array<long> slots(4, 0L);
    mpp::Semaphore sem(1);
    mpp::Event go;
    go.set();
    mpp::Pool pool(2);
    std::vector<decltype(pool.apply_async(pool_task, lock, slots, sem, go, 0L))> results;
    for (long i = 0; i < 20; ++i)
      results.push_back(pool.apply_async(pool_task, lock, slots, sem, go, i));
    long sum = 0;
    for (auto& r : results) sum += r.get(std::chrono::seconds(60));
    EXPECT_EQ(sum, 19 * 20 / 2);
    EXPECT_EQ(slots.to_vector(), std::vector<long>(4, 5));
    EXPECT_FALSE(lock.locked());
    EXPECT_EQ(sem.get_value(), 1);
  });
}
