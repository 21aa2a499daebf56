// mpp::Queue, SimpleQueue and JoinableQueue between rank 0 and Processes on the workers.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mpp/mpp.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

// Across virtual hosts every RMA operation is a TCP round trip (about 0.3 ms): the stress
// tests move fewer items there, so that the suite stays within its time.
bool multi_host() {
  for (int r = 1; r <= mpp::worker_count(); ++r)
    if (mpp::host_of(r) != mpp::host_of(0)) return true;
  return false;
}

template <class F, class... A>
mpp::Process started(F f, A... args) {
  mpp::Process p(f, args...);
  p.start();
  return p;
}

void square_into(mpp::Queue<std::optional<long>> q, std::vector<long> xs) {
  for (long x : xs) q.put(x * x);
  q.put(std::nullopt);
}
void negate_into(mpp::Queue<std::optional<long>> q, std::vector<long> xs) {
  for (long x : xs) q.put(-x);
  q.put(std::nullopt);
}

// Item ids are producer * per_producer + sequence number.
using Item = std::optional<std::uint32_t>;
void produce_ids(mpp::Queue<Item> q, std::uint32_t producer, std::uint32_t per_producer) {
  for (std::uint32_t i = 0; i < per_producer; ++i) q.put(producer * per_producer + i);
}
// Takes items until the sentinel, checks that each producer's come in order, and reports
// every id it got on `results` (one vector, so that the main can count each id once).
void consume_ids(mpp::Queue<Item> q, mpp::Queue<std::vector<std::uint32_t>> results,
                 mpp::Value<long> fifo_violations, std::uint32_t per_producer) {
  std::vector<std::uint32_t> got;
  std::vector<long> last(64, -1);
  while (Item id = q.get()) {
    const std::uint32_t producer = *id / per_producer;
    if (static_cast<long>(*id) <= last[producer]) fifo_violations.fetch_add(1);
    last[producer] = *id;
    got.push_back(*id);
  }
  results.put(got);
}

struct Record {
  std::string name;
  std::vector<double> values;
  int tag = 0;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar & name & values & tag;
  }
  bool operator==(const Record&) const = default;
};

void relay(mpp::Queue<std::optional<int>> in, mpp::Queue<std::optional<int>> out, int add) {
  while (auto v = in.get()) out.put(*v + add);
  out.put(std::nullopt);
}

void get_after(mpp::Queue<int> q, int delay_ms, mpp::Value<int> got) {
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  got.store(q.get());
}

void close_queue(mpp::Queue<int> q) {
  q.put(41);
  q.close();
}

void work_and_mark_done(mpp::JoinableQueue<int> jobs, mpp::Value<long> sum, int n) {
  for (int i = 0; i < n; ++i) {
    const int job = jobs.get();
    std::this_thread::sleep_for(1ms);
    sum.fetch_add(job);
    jobs.task_done();
  }
}

}  // namespace

TEST(Queue, FifoOnOneRank) {
  on_rank0([] {
    mpp::Queue<int> q;
    EXPECT_TRUE(q.empty());
    for (int i = 0; i < 1000; ++i) q.put(i);
    EXPECT_EQ(q.qsize(), 1000u);
    EXPECT_FALSE(q.full());  // maxsize 0: never full, as in Python
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(q.get(), i);
    EXPECT_TRUE(q.empty());
  });
}

TEST(Queue, TwoProducersFeedOneConsumerUntilTheirSentinels) {
  on_rank0([] {
    mpp::Queue<std::optional<long>> q;
    const std::vector<long> xs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    auto squares = started(square_into, q, xs);
    auto negatives = started(negate_into, q, xs);
    std::vector<long> from_square, from_negate;
    for (int sentinels = 0; sentinels < 2;) {
      const std::optional<long> v = q.get(30s);
      if (!v) ++sentinels;
      else if (*v > 0) from_square.push_back(*v);
      else from_negate.push_back(*v);
    }
    squares.join();
    negatives.join();
    EXPECT_EQ(from_square, (std::vector<long>{1, 4, 9, 16, 25, 36, 49, 64, 81, 100}));
    EXPECT_EQ(from_negate, (std::vector<long>{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10}));
    EXPECT_EQ(squares.exitcode(), 0);
  });
}

TEST(Queue, FourProducersFourConsumersLoseNothingAndKeepEachProducersOrder) {
  on_rank0([] {
    const std::uint32_t producers = 4, consumers = 4;
    const std::uint32_t per_producer = multi_host() ? 500 : 25000;  // 100000 items on one host
    mpp::Queue<Item> q(0, mpp::capacity = 1 << 16);  // small: the ring wraps many times
    mpp::Queue<std::vector<std::uint32_t>> results;
    mpp::Value<long> fifo_violations(0);
    std::vector<mpp::Process> ps;
    for (std::uint32_t c = 0; c < consumers; ++c)
      ps.push_back(started(consume_ids, q, results, fifo_violations, per_producer));
    std::vector<mpp::Process> ws;
    for (std::uint32_t p = 0; p < producers; ++p)
      ws.push_back(started(produce_ids, q, p, per_producer));
    for (auto& w : ws) w.join();
    for (std::uint32_t c = 0; c < consumers; ++c) q.put(std::nullopt);
    std::vector<int> seen(producers * per_producer, 0);
    for (std::uint32_t c = 0; c < consumers; ++c)
      for (std::uint32_t id : results.get(60s)) ++seen.at(id);
    for (auto& p : ps) p.join();
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(seen.size()))
        << "lost: " << std::count(seen.begin(), seen.end(), 0)
        << ", duplicated: " << std::count_if(seen.begin(), seen.end(), [](int n) { return n > 1; });
    EXPECT_EQ(fifo_violations.load(), 0);
    EXPECT_TRUE(q.empty());
  });
}

TEST(Queue, ChainOfFourProcessesPassesValuesAlong) {
  // Four processes waiting on one another, more than the worker ranks at 2 or 3 ranks.
  on_rank0([] {
    std::vector<mpp::Queue<std::optional<int>>> qs(5);
    std::vector<mpp::Process> chain;
    for (int i = 0; i < 4; ++i) chain.push_back(started(relay, qs[i], qs[i + 1], 10 * (i + 1)));
    for (int v = 0; v < 50; ++v) qs[0].put(v);
    qs[0].put(std::nullopt);
    std::vector<int> out;
    while (auto v = qs[4].get(60s)) out.push_back(*v);
    for (auto& p : chain) p.join();
    ASSERT_EQ(out.size(), 50u);
    for (int v = 0; v < 50; ++v) EXPECT_EQ(out[v], v + 100);
  });
}

TEST(Queue, CarriesStringsVectorsAndStructsOfAnySize) {
  on_rank0([] {
    mpp::Queue<Record> q(0, mpp::capacity = 200000);
    std::vector<Record> sent;
    for (int i = 0; i < 60; ++i)  // up to 16000 doubles (128 KB) per item; wraps the ring
      sent.push_back(Record{std::string(i * 37 % 500, 'a' + i % 26),
                            std::vector<double>((i * 997) % 16001, i + 0.5), i});
    auto back = mpp::Queue<Record>(0, mpp::capacity = 200000);
    auto echo = started(+[](mpp::Queue<Record> in, mpp::Queue<Record> out, int n) {
      for (int i = 0; i < n; ++i) out.put(in.get());
    }, q, back, 60);
    std::vector<Record> got;
    for (int i = 0; i < 60; ++i) {
      q.put(sent[i]);
      got.push_back(back.get(60s));
    }
    echo.join();
    EXPECT_EQ(got, sent);
  });
}

TEST(Queue, BoundedQueueIsFullAtMaxsizeAndTimesOut) {
  on_rank0([] {
    mpp::Queue<int> q(2);
    q.put(1);
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_THROW(q.put_nowait(3), mpp::Full);
    EXPECT_THROW(q.put(3, false), mpp::Full);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(q.put(3, 50ms), mpp::Full);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
    EXPECT_EQ(q.qsize(), 2u);  // the timed-out puts left nothing behind
    EXPECT_EQ(q.get(), 1);
    EXPECT_EQ(q.get(), 2);
  });
}

TEST(Queue, BlockedPutGoesOnWhenAConsumerTakes) {
  on_rank0([] {
    mpp::Queue<int> q(1);
    mpp::Value<int> got(0);
    q.put(7);
    auto consumer = started(get_after, q, 100, got);
    q.put(8, 30s);  // waits until the consumer took 7
    consumer.join();
    EXPECT_EQ(got.load(), 7);
    EXPECT_EQ(q.get(), 8);
  });
}

TEST(Queue, EmptyQueueRaisesEmptyWithoutBlockOrAfterTimeout) {
  on_rank0([] {
    mpp::Queue<int> q;
    EXPECT_THROW(q.get_nowait(), mpp::Empty);
    EXPECT_THROW(q.get(false), mpp::Empty);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(q.get(50ms), mpp::Empty);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
    EXPECT_THROW(q.get(false, 10s), mpp::Empty);  // without block the timeout does not count
  });
}

TEST(Queue, CloseRefusesPutsButKeepsItemsForGet) {
  on_rank0([] {
    mpp::Queue<int> q;
    started(close_queue, q).join();  // closed on another rank
    EXPECT_TRUE(q.closed());
    try {
      q.put(1);
      ADD_FAILURE() << "put after close did not raise";
    } catch (const mpp::ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("Queue.put: the queue is closed"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(q.get(), 41);
    EXPECT_THROW(q.get(), mpp::ValueError);  // closed and empty: at once, not a hang
    EXPECT_EQ(q.qsize(), 0u);
  });
}

TEST(Queue, ItemLargerThanTheCapacityIsAValueErrorGivingBothSizes) {
  on_rank0([] {
    mpp::Queue<std::vector<char>> q(0, mpp::capacity = 4096);
    try {
      q.put(std::vector<char>(5000, 'x'));
      ADD_FAILURE() << "oversized put did not raise";
    } catch (const mpp::ValueError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("capacity of 4096 bytes"), std::string::npos) << what;
      EXPECT_NE(what.find("an item of 50"), std::string::npos) << what;  // 5000 + its length
    }
    EXPECT_TRUE(q.empty());  // nothing half-put
    q.put(std::vector<char>(4000, 'y'));
    EXPECT_EQ(q.get().size(), 4000u);
    EXPECT_THROW(mpp::Queue<int>(0, mpp::capacity = 10), mpp::ValueError);
  });
}

TEST(Queue, SharedObjectsTravelThroughAQueue) {
  on_rank0([] {
    mpp::Queue<mpp::Value<long>> q;
    mpp::Value<long> v(5);
    q.put(v);
    mpp::Value<long> same = q.get();
    same.fetch_add(3);
    EXPECT_EQ(v.load(), 8);
  });
}

TEST(JoinableQueue, JoinReturnsWhenEveryItemIsDone) {
  on_rank0([] {
    mpp::JoinableQueue<int> jobs;
    mpp::Value<long> sum(0);
    EXPECT_TRUE(jobs.join(0ms));  // nothing put: done already
    for (int i = 1; i <= 40; ++i) jobs.put(i);
    EXPECT_FALSE(jobs.join(1ms));
    auto a = started(work_and_mark_done, jobs, sum, 20);
    auto b = started(work_and_mark_done, jobs, sum, 20);
    jobs.join();
    EXPECT_EQ(sum.load(), 40 * 41 / 2);  // join returned after the last task_done
    a.join();
    b.join();
    try {
      jobs.task_done();
      ADD_FAILURE() << "extra task_done did not raise";
    } catch (const mpp::ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("task_done() too many times"), std::string::npos);
    }
  });
}

TEST(SimpleQueue, PutGetEmptyClose) {
  on_rank0([] {
    mpp::SimpleQueue<std::string> q;
    EXPECT_TRUE(q.empty());
    q.put("one");
    q.put("two");
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(q.get(), "one");
    EXPECT_EQ(q.get(), "two");
    EXPECT_THROW(q.get(10ms), mpp::Empty);
    q.close();
    EXPECT_THROW(q.put("three"), mpp::ValueError);
  });
}
