// mpp::Process: lifecycle, exit codes, names, misuse, and many processes on few ranks.
#include <chrono>
#include <mpp/mpp.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

void store(mpp::Value<int> v, int x) { v.store(x); }
void ends_with(int code) { mpp::exit(code); }
void throws_runtime_error() { throw std::runtime_error("process failed on purpose"); }
void nap(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
void report_self(mpp::Value<int> rank) { rank.store(mpp::current_process().rank); }
int name_length() { return static_cast<int>(mpp::current_process().name.size()); }

// Counts how many of these run at the same moment.
void overlap(mpp::Value<int> active, mpp::Value<int> peak, int ms) {
  const int now = active.fetch_add(1) + 1;
  int seen = peak.load();
  while (now > seen && !peak.compare_exchange(seen, now)) {
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  active.fetch_add(-1);
}

// Waits for its turn, then hands the turn on: only works if all run at once.
void relay(mpp::Value<int> turn, int me) {
  while (turn.load() != me) std::this_thread::sleep_for(1ms);
  turn.store(me + 1);
}

void start_a_process() {
  mpp::Process p(nap, 1);
  p.start();
}

}  // namespace

TEST(Process, RunsAndJoinsWithExitCodeZero) {
  on_rank0([] {
    mpp::Value<int> v(0);
    mpp::Process p(store, v, 42);
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.exitcode(), std::nullopt);
    EXPECT_EQ(p.rank(), -1);
    p.start();
    p.join();
    EXPECT_EQ(v.load(), 42);
    EXPECT_EQ(p.exitcode(), std::optional<int>(0));
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.rank(), mpp::worker_count() == 0 ? 0 : p.rank());
    EXPECT_GE(p.rank(), mpp::worker_count() == 0 ? 0 : 1);
    EXPECT_EQ(p.host(), mpp::host_of(p.rank()));
  });
}

TEST(Process, ExitCodes) {
  on_rank0([] {
    mpp::Process by_exit(ends_with, 3);
    mpp::Process by_exception(throws_runtime_error);
    mpp::Process by_lambda([] { mpp::exit(0); });
    by_exit.start();
    by_exception.start();
    by_lambda.start();
    by_exit.join();
    by_exception.join();
    by_lambda.join();
    EXPECT_EQ(by_exit.exitcode(), std::optional<int>(3));
    EXPECT_EQ(by_exception.exitcode(), std::optional<int>(1));
    EXPECT_EQ(by_lambda.exitcode(), std::optional<int>(0));
  });
}

TEST(Process, IsAliveAndJoinWithTimeout) {
  on_rank0([] {
    mpp::Process p(nap, 400);
    p.start();
    EXPECT_TRUE(p.is_alive());
    EXPECT_FALSE(p.join(20ms));
    EXPECT_TRUE(p.is_alive());
    EXPECT_TRUE(p.join(30s));
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.exitcode(), std::optional<int>(0));
  });
}

TEST(Process, NamesAndCurrentProcess) {
  on_rank0([] {
    EXPECT_EQ(mpp::current_process().name, "MainProcess");
    mpp::Process a(nap, 1), b(nap, 1);
    EXPECT_EQ(a.name().rfind("Process-", 0), 0u);
    EXPECT_NE(a.name(), b.name());
    b.set_name("fetcher");
    EXPECT_EQ(b.name(), "fetcher");
    mpp::Value<int> rank(-1);
    mpp::Process c(report_self, rank);
    c.start();
    c.join();
    EXPECT_EQ(rank.load(), c.rank());
    EXPECT_THROW(c.set_name("late"), mpp::ProcessError);
  });
}

TEST(Process, MisuseIsAProcessError) {
  on_rank0([] {
    mpp::Process p(nap, 1);
    EXPECT_THROW(p.join(), mpp::ProcessError);
    EXPECT_THROW(p.join(1s), mpp::ProcessError);
    p.start();
    EXPECT_THROW(p.start(), mpp::ProcessError);
    p.join();
    EXPECT_THROW(p.start(), mpp::ProcessError);
    if (mpp::worker_count() > 0) {
      try {
        mpp::call_on(1, start_a_process);
        ADD_FAILURE() << "a worker started a process";
      } catch (const mpp::RemoteError& e) {
        EXPECT_EQ(e.type_name(), "mpp::ProcessError");
      }
    }
  });
}

TEST(Process, DestructorJoins) {
  on_rank0([] {
    mpp::Value<int> v(0);
    {
      mpp::Process p([](mpp::Value<int> w) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        w.store(7);
      }, v);
      p.start();
    }
    EXPECT_EQ(v.load(), 7);
  });
}

TEST(Process, TwentyProcessesRunAtOnceOnFewRanks) {
  on_rank0([] {
    mpp::Value<int> active(0), peak(0);
    std::vector<mpp::Process> ps;
    for (int i = 0; i < 20; ++i) ps.emplace_back(overlap, active, peak, 1000);
    for (auto& p : ps) p.start();
    for (auto& p : ps) p.join();
    for (auto& p : ps) EXPECT_EQ(p.exitcode(), std::optional<int>(0));
    EXPECT_EQ(peak.load(), 20) << "processes ran one after another";
    EXPECT_EQ(active.load(), 0);
  });
}

TEST(Process, ProcessesWaitingOnEachOtherDoNotDeadlock) {
  on_rank0([] {
    // Started last-first: each must wait for processes started after it.
    mpp::Value<int> turn(0);
    std::vector<mpp::Process> ps;
    for (int me = 5; me >= 0; --me) ps.emplace_back(relay, turn, me);
    for (auto& p : ps) p.start();
    for (auto& p : ps) EXPECT_TRUE(p.join(60s));
    EXPECT_EQ(turn.load(), 6);
  });
}

TEST(Process, MovedProcessKeepsItsState) {
  on_rank0([] {
    mpp::Process p(name_length);
    const std::string name = p.name();
    p.start();
    mpp::Process q = std::move(p);
    q.join();
    EXPECT_EQ(q.name(), name);
    EXPECT_EQ(q.exitcode(), std::optional<int>(0));
  });
}
