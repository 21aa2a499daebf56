// queue_producers: processes that talk through a Queue and a Pipe.
//
// Python originals (the Queue and Pipe tutorial programs):
//   def square(numbers, q):
//       for n in numbers: q.put(n * n)
//   def make_negative(numbers, q):
//       for n in numbers: q.put(-n)
//   q = Queue()
//   p1 = Process(target=square, args=(numbers, q)); p2 = Process(target=make_negative, ...)
//   ...; while not q.empty(): print(q.get())
//
//   colors = ['red', 'green', 'blue', 'black']           # a queue is first in, first out
//   for c in colors: q.put(c)
//   while not q.empty(): print(q.get())
//
//   def sender(conn, msgs):
//       for m in msgs: conn.send(m)
//       conn.close()
//   parent_conn, child_conn = Pipe()                       # the receiver stops at "END"
#include <fmt/ranges.h>
#include <mpp/mpp.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/app.hpp"

using Item = std::optional<long>;  // std::nullopt: this producer is done (the sentinel)

void square(std::vector<long> numbers, mpp::Queue<Item> q) {
  for (long n : numbers) q.put(n * n);
  q.put(std::nullopt);
}

void make_negative(std::vector<long> numbers, mpp::Queue<Item> q) {
  for (long n : numbers) q.put(-n);
  q.put(std::nullopt);
}

// Takes items until both producers said they are done; hands what it got to main.
void consumer(mpp::Queue<Item> q, mpp::Queue<std::vector<long>> collected) {
  std::vector<long> got;
  for (int done = 0; done < 2;) {
    if (Item item = q.get()) got.push_back(*item);
    else ++done;
  }
  collected.put(got);
}

void sender(mpp::Connection<std::string> conn, std::vector<std::string> messages) {
  for (const auto& m : messages) conn.send(m);
  conn.close();
}

// Receives until "END"; sends back what it received, in order, as one message.
void receiver(mpp::Connection<std::string> conn, mpp::Connection<std::vector<std::string>> back) {
  std::vector<std::string> received;
  for (std::string m = conn.recv(); m != "END"; m = conn.recv()) received.push_back(m);
  back.send(received);
}

int main(int argc, char** argv) {
  mppapp::App app("queue_producers", "Producers -> Queue -> consumer, a FIFO demo and a Pipe demo");
  long count = 1000;
  app.flag("--count", count, "numbers each producer sends")->check(CLI::Range(1L, 1000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<long> numbers;
    for (long n = 1; n <= count; ++n) numbers.push_back(n);

    mpp::Queue<Item> q;
    // One message of 2 x count longs: room for it (a ring's capacity is fixed when it is made).
    mpp::Queue<std::vector<long>> collected(0, mpp::capacity = 4096 + 4 * count * sizeof(long));
    auto t = r.timer("producers_consumer");
    mpp::Process c(consumer, q, collected), p1(square, numbers, q), p2(make_negative, numbers, q);
    for (auto* p : {&c, &p1, &p2}) p->start();
    const std::vector<long> got = collected.get(std::chrono::minutes(5));
    for (auto* p : {&c, &p1, &p2}) p->join();
    t.stop();

    std::vector<long> squares, negatives;
    for (long v : got) (v > 0 ? squares : negatives).push_back(v);
    r.say("consumer got {} items; first squares {}, {}, {}; first negatives {}, {}, {}", got.size(),
          squares.at(0), squares.at(1), squares.at(2), negatives.at(0), negatives.at(1), negatives.at(2));
    r.result("items", got.size());
    std::vector<long> want_squares, want_negatives;
    for (long n : numbers) want_squares.push_back(n * n), want_negatives.push_back(-n);
    r.check("every square arrived once, in the order it was put", squares == want_squares);
    r.check("every negative arrived once, in the order it was put", negatives == want_negatives);

    const std::vector<std::string> colors{"red", "green", "blue", "black"};
    mpp::Queue<std::string> fifo;
    for (const auto& color : colors) fifo.put(color);
    std::vector<std::string> out;
    while (!fifo.empty()) out.push_back(fifo.get());
    r.say("FIFO: {}", fmt::join(out, " "));
    r.result("fifo", out);
    r.check("a queue gives items back first in, first out", out == colors);

    auto [parent_conn, child_conn] = mpp::Pipe<std::string>();
    auto [reply_in, reply_out] = mpp::Pipe<std::vector<std::string>>(false);
    const std::vector<std::string> messages{"hello", "hey", "hru?", "END"};
    auto tp = r.timer("pipe");
    mpp::Process s(sender, parent_conn, messages), v(receiver, child_conn, reply_out);
    s.start();
    v.start();
    const auto received = reply_in.recv(std::chrono::minutes(5));
    s.join();
    v.join();
    tp.stop();
    r.say("Pipe: received {}", fmt::join(received, ", "));
    r.result("pipe", received);
    r.check("the receiver got every message before END, in order",
            received == std::vector<std::string>(messages.begin(), messages.end() - 1));
  });
}
