// Task shipping: functions, lambdas and partials with arguments and results of every kind,
// errors coming back as RemoteError, timeouts, and the calls that must be refused.
#include <chrono>
#include <map>
#include <mpp/mpp.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_every_worker;
using mpp::testing::on_rank0;
using mpp::testing::worker_ranks;
using namespace std::chrono_literals;

namespace {

struct Point {
  std::string name;
  std::vector<double> coords;
  template <class Archive>
  void serialize(Archive& ar, unsigned) { ar & name & coords; }
};

struct Pod {
  int a;
  double b;
};

int twice(int x) { return 2 * x; }
int where() { return mpp::rank(); }
std::string shout(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s + "!";
}
std::map<std::string, int> count_words(const std::vector<std::string>& words) {
  std::map<std::string, int> counts;
  for (const auto& w : words) ++counts[w];
  return counts;
}
std::optional<int> first_even(std::vector<int> xs) {
  for (int x : xs)
    if (x % 2 == 0) return x;
  return std::nullopt;
}
std::tuple<int, std::string, double> split(Point p) {
  double sum = 0;
  for (double c : p.coords) sum += c;
  return {static_cast<int>(p.coords.size()), p.name, sum};
}
Pod bump(Pod p) { return {p.a + 1, p.b * 2}; }
int scale(int factor, int offset, int x) { return factor * x + offset; }
void refuse(int x) {
  if (x < 0) throw std::invalid_argument("negative input " + std::to_string(x));
}
int nap_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int submit_from_worker() { return mpp::call_on(1, twice, 1); }

}  // namespace

TEST(Remote, FunctionRunsOnTheRankAskedFor) {
  on_rank0([] {
    for (int r : worker_ranks()) {
      EXPECT_EQ(mpp::call_on(r, where), r);
      EXPECT_EQ(mpp::call_on(r, twice, 21), 42);
    }
  });
}

TEST(Remote, CaptureLessLambdasAndGenericLambdas) {
  on_rank0([] {
    for (int r : worker_ranks()) {
      EXPECT_EQ(mpp::call_on(r, [](int x, int y) { return x * y; }, 6, 7), 42);
      EXPECT_EQ(mpp::call_on(r, [](auto s) { return s.size(); }, std::string("abcd")), 4u);
    }
  });
}

TEST(Remote, SerializedArgumentsAndResults) {
  on_rank0([] {
    const int r = worker_ranks().back();
    EXPECT_EQ(mpp::call_on(r, shout, std::string("hello")), "HELLO!");
    const auto counts = mpp::call_on(r, count_words, std::vector<std::string>{"a", "b", "a"});
    EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 2}, {"b", 1}}));
    EXPECT_EQ(mpp::call_on(r, first_even, std::vector<int>{1, 3, 8, 10}), std::optional<int>(8));
    EXPECT_EQ(mpp::call_on(r, first_even, std::vector<int>{1, 3}), std::nullopt);
    const auto [n, name, sum] = mpp::call_on(r, split, Point{"p", {1.5, 2.5, 3.0}});
    EXPECT_EQ(n, 3);
    EXPECT_EQ(name, "p");
    EXPECT_DOUBLE_EQ(sum, 7.0);
    const Pod pod = mpp::call_on(r, bump, Pod{41, 1.25});
    EXPECT_EQ(pod.a, 42);
    EXPECT_DOUBLE_EQ(pod.b, 2.5);
    const std::vector<int> big(100000, 7);
    EXPECT_EQ(mpp::call_on(r, [](const std::vector<int>& v) { return v.size(); }, big), big.size());
  });
}

TEST(Remote, PartialShipsItsBoundArguments) {
  on_rank0([] {
    const auto f = mpp::partial(scale, 3, 1);
    for (int r : worker_ranks()) EXPECT_EQ(mpp::call_on(r, f, 10), 31);
    const auto g = mpp::partial([](std::string prefix, int x) { return prefix + std::to_string(x); },
                                std::string("n="));
    EXPECT_EQ(mpp::call_on(worker_ranks().front(), g, 5), "n=5");
  });
}

TEST(Remote, ManyCallsInFlightKeepTheirResults) {
  on_rank0([] {
    const auto ranks = worker_ranks();
    std::vector<mpp::RemoteCall<int>> calls;
    for (int i = 0; i < 1000; ++i) calls.push_back(mpp::submit_to(ranks[i % ranks.size()], twice, i));
    for (int i = 999; i >= 0; --i) EXPECT_EQ(calls[i].get(), 2 * i);  // collected out of order
  });
}

TEST(Remote, TaskExceptionBecomesRemoteErrorAndWorkerKeepsServing) {
  on_rank0([] {
    for (int r : worker_ranks()) {
      try {
        mpp::call_on(r, refuse, -3);
        ADD_FAILURE() << "no exception";
      } catch (const mpp::RemoteError& e) {
        EXPECT_EQ(e.type_name(), "std::invalid_argument");
        EXPECT_EQ(e.message(), "negative input -3");
        EXPECT_EQ(e.rank(), r);
        EXPECT_EQ(e.host(), mpp::call_on(r, [] { return mpp::hostname(); }));
        EXPECT_NE(std::string(e.what()).find("std::invalid_argument on rank " + std::to_string(r)),
                  std::string::npos) << e.what();
      }
      EXPECT_EQ(mpp::call_on(r, twice, 5), 10);
    }
  });
}

TEST(Remote, GetRethrowsEveryTime) {
  on_rank0([] {
    auto call = mpp::submit_to(worker_ranks().front(), refuse, -1);
    EXPECT_THROW(call.get(), mpp::RemoteError);
    EXPECT_THROW(call.get(), mpp::RemoteError);
    EXPECT_TRUE(call.ready());
  });
}

TEST(Remote, GetWithTimeout) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "with no workers a task runs at submit time";
    auto call = mpp::submit_to(1, nap_ms, 300);
    EXPECT_FALSE(call.ready());
    EXPECT_THROW(call.get(20ms), mpp::TimeoutError);
    EXPECT_EQ(call.get(10s), 300);  // still valid after the timeout
    EXPECT_TRUE(call.ready());
  });
}

TEST(Remote, AbandonedCallsDoNotDisturbLaterOnes) {
  on_rank0([] {
    for (int i = 0; i < 50; ++i) (void)mpp::submit_to(worker_ranks().front(), twice, i);
    EXPECT_EQ(mpp::call_on(worker_ranks().front(), twice, 100), 200);
  });
}

TEST(Remote, NoSuchWorkerIsAValueError) {
  on_rank0([] {
    EXPECT_THROW(mpp::call_on(mpp::worker_count() + 1, twice, 1), mpp::ValueError);
    EXPECT_THROW(mpp::call_on(-1, twice, 1), mpp::ValueError);
    if (mpp::worker_count() > 0) {
      EXPECT_THROW(mpp::call_on(0, twice, 1), mpp::ValueError);
    }
  });
}

TEST(Remote, SubmittingFromAWorkerIsAProcessError) {
  on_rank0([] {
    if (mpp::worker_count() == 0) GTEST_SKIP() << "needs a worker rank";
    try {
      mpp::call_on(1, submit_from_worker);
      ADD_FAILURE() << "no exception";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "mpp::ProcessError") << e.what();
    }
  });
}

TEST(Runtime, WhereAmI) {
  on_rank0([] {
    EXPECT_EQ(mpp::rank(), 0);
    EXPECT_GE(mpp::cpu_count(), 1);
    EXPECT_FALSE(mpp::hostname().empty());
    for (int r : worker_ranks()) {
      EXPECT_EQ(mpp::call_on(r, [] { return mpp::worker_count(); }), mpp::worker_count());
      EXPECT_FALSE(mpp::call_on(r, [] { return mpp::hostname(); }).empty());
    }
  });
}
