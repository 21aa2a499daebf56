// mpp::ProcessPoolExecutor and mpp::Future: results, errors, timeouts, cancel, callbacks,
// as_completed and wait.
#include <algorithm>
#include <chrono>
#include <mpp/mpp.hpp>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
std::string greet(std::string who, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += "hi " + who + ";";
  return out;
}
int nap(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int refuse(int x) {
  if (x % 3 == 0) throw std::domain_error("multiple of three: " + std::to_string(x));
  return x;
}
void remember(mpp::Value<int> v, int x) { v.store(x); }
thread_local int base = 0;
void set_base(int b) { base = b; }
int plus_base(int x) { return x + base; }

}  // namespace

TEST(Executor, SubmitAndResult) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    EXPECT_EQ(ex.max_workers(), std::max(1, mpp::worker_count()));
    auto f = ex.submit(square, 12);
    EXPECT_EQ(f.result(), 144);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.running());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.exception(), nullptr);
    EXPECT_EQ(ex.submit(greet, std::string("bo"), 2).result(), "hi bo;hi bo;");
    mpp::Value<int> v(0);
    ex.submit(remember, v, 9).result();  // a void task
    EXPECT_EQ(v.load(), 9);
    EXPECT_EQ(ex.submit([](int a, int b) { return a - b; }, 50, 8).result(), 42);
  });
}

TEST(Executor, ManyFuturesKeepTheirResults) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    std::vector<mpp::Future<int>> fs;
    for (int i = 0; i < 500; ++i) fs.push_back(ex.submit(square, i));
    for (int i = 499; i >= 0; --i) EXPECT_EQ(fs[i].result(), i * i);
  });
}

TEST(Executor, ErrorsComeBackAsRemoteError) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    auto f = ex.submit(refuse, 6);
    try {
      f.result();
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "std::domain_error");
      EXPECT_EQ(e.message(), "multiple of three: 6");
    }
    EXPECT_NE(f.exception(), nullptr);
    EXPECT_THROW(std::rethrow_exception(f.exception()), mpp::RemoteError);
    EXPECT_EQ(ex.submit(refuse, 7).result(), 7);  // the executor goes on
  });
}

TEST(Executor, ResultWithTimeout) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    auto f = ex.submit(nap, 300);
    EXPECT_THROW(f.result(10ms), mpp::TimeoutError);
    EXPECT_THROW(f.exception(10ms), mpp::TimeoutError);
    EXPECT_EQ(f.result(30s), 300);
  });
}

TEST(Executor, CancelOnlyWhatHasNotStarted) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex(1);
    auto busy = ex.submit(nap, 300);
    while (!busy.running() && !busy.done()) std::this_thread::sleep_for(1ms);
    auto queued = ex.submit(square, 5);
    EXPECT_FALSE(busy.cancel());  // running
    EXPECT_TRUE(queued.cancel());
    EXPECT_TRUE(queued.cancel());  // still cancelled
    EXPECT_TRUE(queued.cancelled());
    EXPECT_TRUE(queued.done());
    EXPECT_THROW(queued.result(), mpp::CancelledError);
    EXPECT_THROW(queued.exception(), mpp::CancelledError);
    EXPECT_EQ(busy.result(), 300);
    EXPECT_FALSE(busy.cancel());  // done
  });
}

TEST(Executor, DoneCallbacks) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    std::vector<int> seen;
    auto f = ex.submit(square, 4);
    f.add_done_callback([&](mpp::Future<int> g) { seen.push_back(g.result()); });
    f.result();
    EXPECT_TRUE(f.done());  // done() runs callbacks that are due
    EXPECT_EQ(seen, std::vector<int>{16});
    f.add_done_callback([&](mpp::Future<int> g) { seen.push_back(-g.result()); });  // already done: now
    EXPECT_EQ(seen, (std::vector<int>{16, -16}));
  });
}

TEST(Executor, MapInOrderWithErrorAtItsTurnAndTimeout) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    std::vector<int> got;
    for (int y : ex.map(square, std::views::iota(0, 100))) got.push_back(y);
    ASSERT_EQ(got.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i * i);
    auto results = ex.map(refuse, std::vector<int>{1, 2, 3, 4});
    EXPECT_EQ(results.next(), 1);
    EXPECT_EQ(results.next(), 2);
    EXPECT_THROW(results.next(), mpp::RemoteError);
    auto slow = ex.map(nap, std::vector<int>{400}, 50ms);
    EXPECT_THROW(slow.next(), mpp::TimeoutError);
    std::vector<int> chunked;
    for (int y : ex.map(square, std::views::iota(0, 10), std::nullopt, 4)) chunked.push_back(y);
    EXPECT_EQ(chunked, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  });
}

TEST(Executor, AsCompletedYieldsEveryFutureOnce) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    std::vector<mpp::Future<int>> fs;
    for (int ms : {200, 5, 100, 1}) fs.push_back(ex.submit(nap, ms));
    std::multiset<int> seen;
    for (auto f : mpp::as_completed(fs)) seen.insert(f.result());
    EXPECT_EQ(seen, (std::multiset<int>{1, 5, 100, 200}));
    std::vector<mpp::Future<int>> slow{ex.submit(nap, 500)};
    EXPECT_THROW({
      for (auto f : mpp::as_completed(slow, 20ms)) (void)f;
    }, mpp::TimeoutError);
  });
}

TEST(Executor, WaitReturnWhen) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex;
    std::vector<mpp::Future<int>> fs{ex.submit(nap, 1), ex.submit(nap, 600)};
    auto first = mpp::wait(fs, 30s, mpp::FIRST_COMPLETED);
    EXPECT_GE(first.done.size(), 1u);
    EXPECT_EQ(first.done.size() + first.not_done.size(), 2u);
    std::vector<mpp::Future<int>> errs{ex.submit(refuse, 3), ex.submit(nap, 600)};
    auto exc = mpp::wait(errs, 30s, mpp::FIRST_EXCEPTION);
    ASSERT_GE(exc.done.size(), 1u);
    EXPECT_TRUE(std::any_of(exc.done.begin(), exc.done.end(), [](auto f) { return f.raised(); }));
    auto all = mpp::wait(fs);
    EXPECT_EQ(all.done.size(), 2u);
    EXPECT_TRUE(all.not_done.empty());
    std::vector<mpp::Future<int>> slow{ex.submit(nap, 500)};
    auto timed_out = mpp::wait(slow, 10ms);
    EXPECT_TRUE(timed_out.done.empty());
    EXPECT_EQ(timed_out.not_done.size(), 1u);
  });
}

TEST(Executor, InitializerAndShutdown) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex(2, set_base, 100);
    EXPECT_EQ(ex.submit(plus_base, 5).result(), 105);
    ex.shutdown();
    ex.shutdown();  // idempotent
    try {
      ex.submit(square, 1);
      ADD_FAILURE() << "submit after shutdown";
    } catch (const mpp::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
    }
    EXPECT_THROW(mpp::ProcessPoolExecutor(0), mpp::ValueError);
    EXPECT_THROW(mpp::ProcessPoolExecutor(1, [] { throw std::runtime_error("init failed"); }), mpp::BrokenPool);
  });
}

TEST(Executor, ShutdownCancelsPendingFutures) {
  on_rank0([] {
    mpp::ProcessPoolExecutor ex(1);
    auto busy = ex.submit(nap, 200);
    while (!busy.running() && !busy.done()) std::this_thread::sleep_for(1ms);
    std::vector<mpp::Future<int>> queued;
    for (int i = 0; i < 5; ++i) queued.push_back(ex.submit(square, i));
    ex.shutdown(true, true);
    EXPECT_EQ(busy.result(), 200);
    for (auto& f : queued) EXPECT_TRUE(f.cancelled());
  });
}
