// mpp::Pipe and mpp::Connection between rank 0 and Processes on the workers.
#include <chrono>
#include <mpp/mpp.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/mpp_testing.hpp"

using mpp::testing::on_rank0;
using namespace std::chrono_literals;

namespace {

template <class F, class... A>
mpp::Process started(F f, A... args) {
  mpp::Process p(f, args...);
  p.start();
  return p;
}

// Answers each n with n + 1 until it receives a negative number.
void answer_plus_one(mpp::Connection<long> end) {
  for (long n = end.recv(); n >= 0; n = end.recv()) end.send(n + 1);
}

void send_then_close(mpp::Connection<std::string> end, int n) {
  for (int i = 0; i < n; ++i) end.send("message " + std::to_string(i));
  end.close();
}

void send_late(mpp::Connection<int> end, int delay_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  end.send(99);
}

void close_end(mpp::Connection<int> end) { end.close(); }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const mpp::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Pipe, PingPongBothWays) {
  on_rank0([] {
    auto [here, there] = mpp::Pipe<long>();
    auto child = started(answer_plus_one, there);
    long n = 0;
    for (int i = 0; i < 1000; ++i) {
      here.send(n);
      const long back = here.recv(30s);
      ASSERT_EQ(back, n + 1);
      n = back + 1;
    }
    here.send(-1);
    child.join();
    EXPECT_EQ(n, 2000);
    EXPECT_EQ(child.exitcode(), 0);
  });
}

TEST(Pipe, RecvAfterTheSenderClosedDrainsThenRaisesEOFError) {
  on_rank0([] {
    auto [reader, writer] = mpp::Pipe<std::string>(false);
    started(send_then_close, writer, 5).join();
    for (int i = 0; i < 5; ++i) EXPECT_EQ(reader.recv(), "message " + std::to_string(i));
    EXPECT_TRUE(reader.poll());  // recv would not wait: it raises
    EXPECT_THROW(reader.recv(), mpp::EOFError);
  });
}

TEST(Pipe, PollWaitsForAnItemAndRecvTimesOut) {
  on_rank0([] {
    auto [a, b] = mpp::Pipe<int>();
    EXPECT_FALSE(a.poll());
    EXPECT_FALSE(a.poll(20ms));
    EXPECT_THROW(a.recv(20ms), mpp::TimeoutError);
    auto late = started(send_late, b, 100);
    EXPECT_TRUE(a.poll(30s));
    EXPECT_EQ(a.recv(), 99);
    late.join();
  });
}

TEST(Pipe, OneWayPipeRefusesTheWrongDirection) {
  on_rank0([] {
    auto [reader, writer] = mpp::Pipe<int>(false);
    EXPECT_TRUE(reader.readable());
    EXPECT_FALSE(reader.writable());
    EXPECT_FALSE(writer.readable());
    EXPECT_NE(error_of([&] { reader.send(1); }).find("only receives"), std::string::npos);
    EXPECT_THROW(writer.recv(), mpp::ValueError);
    EXPECT_THROW(writer.poll(), mpp::ValueError);
    writer.send(5);
    EXPECT_EQ(reader.recv(), 5);
  });
}

TEST(Pipe, ClosedEndsRefuseToSendOrReceive) {
  on_rank0([] {
    auto [a, b] = mpp::Pipe<int>();
    started(close_end, b).join();  // the reader of a's messages went away
    EXPECT_NE(error_of([&] { a.send(1); }).find("receiving end of the pipe was closed"),
              std::string::npos);
    EXPECT_THROW(a.recv(), mpp::EOFError);  // b closed: nothing will come
    a.close();
    EXPECT_NE(error_of([&] { a.recv(); }).find("this end was closed"), std::string::npos);
  });
}

TEST(Pipe, SendWaitsForRoomAndTimesOut) {
  on_rank0([] {
    auto [a, b] = mpp::Pipe<std::vector<char>>(true, mpp::capacity = 4096);
    a.send(std::vector<char>(3000, 'x'));
    EXPECT_THROW(a.send(std::vector<char>(3000, 'y'), 20ms), mpp::TimeoutError);
    EXPECT_EQ(b.recv().size(), 3000u);
    a.send(std::vector<char>(3000, 'z'), 1s);
    EXPECT_EQ(b.recv().front(), 'z');
  });
}
