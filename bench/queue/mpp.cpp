// Queue and pipe benchmark (issue 6, section "Benchmarks"). Rank 0's main makes
// every queue and pipe, so their rings live in rank 0's heap; mpp::Process puts the producers
// on the workers (rank 1, then rank 2, ...: the least busy worker, lowest first).
//   w3         the peers' W3 (bench/peers/queue_bench.py): P producer Processes put --items
//              (200000) ints in total, disjoint ranges, into one mpp::Queue<std::int64_t>;
//              main takes them all. Clock in the consumer, from the barrier every party passes
//              to the last item; count and sum checked, and that nothing is left. P = 1 and 2.
//   bytes      1 producer Process, items of 1 KiB and 64 KiB (trivially copyable blocks, so
//              copied as their bytes): payload bytes/s, same clock; every item's first and
//              last word checked (they carry its number: order and completeness).
//   pipe       Pipe<std::int64_t> round trip between main and a Process that sends back
//              what it receives + 1 (checked): each round trip timed alone; median, p90, mean.
//   breakdown  what one item costs: a producer Process filling a queue nobody reads, main
//              draining it with no producer, and each RMA operation the ring uses, timed alone
//              on the ring's rank (rank 0) and from rank 1 (mpp::detail's heap calls).
// One JSON line per figure on stdout (the peers' schema); exits 1 if a check fails.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mpp/detail/heap.hpp>
#include <mpp/mpp.hpp>
#include <string>
#include <vector>

#include "../emit.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Int = std::int64_t;
using namespace std::chrono_literals;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

using bench::emit;

[[noreturn]] void wrong(const std::string& what) {
  std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
bool nothing_left(mpp::Queue<T>& q) {
  try {
    q.get_nowait();
    return false;
  } catch (const mpp::Empty&) {
    return q.qsize() == 0;
  }
}

void join_checked(mpp::Process& p) {
  p.join();
  if (p.exitcode() != 0) wrong(p.name() + " exited " + std::to_string(p.exitcode().value_or(-1)));
}

void join_all(std::vector<mpp::Process>& ps) {
  for (auto& p : ps) join_checked(p);
}

// "producers on ranks 1,2; queue and consumer on rank 0"
std::string placement(const std::vector<mpp::Process>& ps) {
  std::string ranks;
  for (const auto& p : ps) ranks += (ranks.empty() ? "" : ",") + std::to_string(p.rank());
  return ", \"where\": \"producers on rank " + ranks + "; queue and consumer (main) on rank 0\"";
}

// ---- W3: ints -------------------------------------------------------------------------------

void produce_ints(mpp::Queue<Int> q, mpp::Barrier start, Int lo, Int hi) {
  start.wait();
  for (Int i = lo; i < hi; ++i) q.put(i);
}

void w3(int producers, Int n, bool report) {
  mpp::Queue<Int> q;
  mpp::Barrier start(producers + 1);
  std::vector<mpp::Process> ps;
  for (Int k = 0; k < producers; ++k) {
    ps.emplace_back(produce_ints, q, start, k * n / producers, (k + 1) * n / producers);
    ps.back().start();
  }
  start.wait();
  const auto t0 = Clock::now();
  Int got = 0, sum = 0;
  try {
    for (; got < n; ++got) sum += q.get(30s);  // the peer's q.get(timeout=30)
  } catch (const mpp::Empty&) {
  }
  const double seconds = since(t0);
  join_all(ps);
  if (got != n || sum != n * (n - 1) / 2 || !nothing_left(q))
    wrong("W3 " + std::to_string(producers) + " producer(s): got " + std::to_string(got) + "/" +
          std::to_string(n) + " items, sum " + std::to_string(sum) + ", or items left over");
  if (!report) return;
  emit("W3 queue-throughput",
       std::to_string(producers) + " producer(s) -> 1 consumer, N=" + std::to_string(n) +
           " ints (count+sum checked)",
       static_cast<double>(n) / seconds, "items/s",
       ", \"seconds\": " + std::to_string(seconds) + placement(ps));
}

// ---- large items ----------------------------------------------------------------------------

template <std::size_t Bytes>
struct Block {
  std::array<Int, Bytes / sizeof(Int)> words;
};

template <std::size_t Bytes>
void produce_blocks(mpp::Queue<Block<Bytes>> q, mpp::Barrier start, Int n) {
  static thread_local Block<Bytes> block{};  // 64 KiB: not on the Process thread's stack
  start.wait();
  for (Int i = 0; i < n; ++i) {
    block.words.front() = block.words.back() = i;
    q.put(block);
  }
}

template <std::size_t Bytes>
void bytes(Int n) {
  mpp::Queue<Block<Bytes>> q;
  mpp::Barrier start(2);
  std::vector<mpp::Process> ps;
  ps.emplace_back(produce_blocks<Bytes>, q, start, n).start();
  start.wait();
  const auto t0 = Clock::now();
  Int got = 0;
  try {
    for (; got < n; ++got) {
      const Block<Bytes> b = q.get(30s);
      if (b.words.front() != got || b.words.back() != got)
        wrong(std::to_string(Bytes) + "-byte item " + std::to_string(got) + " arrived as " +
              std::to_string(b.words.front()) + "/" + std::to_string(b.words.back()));
    }
  } catch (const mpp::Empty&) {
  }
  const double seconds = since(t0);
  join_all(ps);
  if (got != n || !nothing_left(q))
    wrong(std::to_string(Bytes) + "-byte items: got " + std::to_string(got) + "/" +
          std::to_string(n));
  const std::string what = std::to_string(Bytes / 1024) +
                           " KiB items, 1 producer -> 1 consumer, N=" + std::to_string(n) +
                           " (each checked)";
  const std::string extra = ", \"seconds\": " + std::to_string(seconds) +
                            ", \"capacity\": " + std::to_string(q.capacity_bytes()) + placement(ps);
  emit("queue bytes", what + ": payload bytes/s", static_cast<double>(n * Int{Bytes}) / seconds,
       "bytes/s", extra);
  emit("queue bytes", what + ": items/s", static_cast<double>(n) / seconds, "items/s", extra);
}

// ---- Pipe round trip ------------------------------------------------------------------------

void echo_plus_one(mpp::Connection<Int> end, Int n) {
  for (Int i = 0; i < n; ++i) end.send(end.recv(30s) + 1);
}

void pipe_round_trip(Int n, Int warmup) {
  auto [mine, theirs] = mpp::Pipe<Int>();
  mpp::Process p(echo_plus_one, theirs, warmup + n);
  p.start();
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (Int i = 0; i < warmup + n; ++i) {
    const auto t0 = Clock::now();
    mine.send(i);
    const Int back = mine.recv(30s);
    const double t = since(t0) * 1e6;
    if (back != i + 1)
      wrong("pipe round trip " + std::to_string(i) + " came back as " + std::to_string(back));
    if (i >= warmup) us.push_back(t);
  }
  join_checked(p);
  double sum = 0;
  for (double t : us) sum += t;
  std::sort(us.begin(), us.end());
  const std::string what = "Pipe<int64> round trip main <-> Process on rank " +
                           std::to_string(p.rank()) + ", " + std::to_string(n) + " timed alone, ";
  emit("pipe round trip", what + "median", us[us.size() / 2], "us");
  emit("pipe round trip", what + "p90", us[us.size() * 9 / 10], "us");
  emit("pipe round trip", what + "mean", sum / static_cast<double>(us.size()), "us");
}

// ---- breakdown ------------------------------------------------------------------------------

double fill(mpp::Queue<Int> q, Int n) {
  const auto t0 = Clock::now();
  for (Int i = 0; i < n; ++i) q.put(i);
  return since(t0);
}

// Medians, so that a time slice lost to another process on the shared machine does not
// become the figure.
double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// Put alone: a task on rank 1 (call_on) fills a queue nobody reads; get alone: main drains
// it with no producer running. `per_round` items fit the 1 MiB ring; median of the rounds.
void alone(int rounds, Int per_round) {
  mpp::Queue<Int> q;
  std::vector<double> put_us, get_us;
  for (int r = 0; r < rounds; ++r) {
    put_us.push_back(mpp::call_on(1, fill, q, per_round) / static_cast<double>(per_round) * 1e6);
    const auto t0 = Clock::now();
    for (Int i = 0; i < per_round; ++i)
      if (q.get_nowait() != i) wrong("queue alone: item " + std::to_string(i) + " out of order");
    get_us.push_back(since(t0) / static_cast<double>(per_round) * 1e6);
  }
  if (!nothing_left(q)) wrong("queue alone: items left over");
  emit("queue breakdown", "Queue<int64>.put alone (rank 1, queue on rank 0, nobody reading)",
       median(put_us), "us/item");
  emit("queue breakdown", "Queue<int64>.get_nowait alone (rank 0, queue full, nobody writing)",
       median(get_us), "us/item");
}

// The ring's operations, each timed alone in a loop on one heap block (us per op):
// fetch_add, compare-and-swap (succeeding), 16-byte write, stamp store, load, 64-byte read.
using OpCosts = std::array<double, 6>;
constexpr std::array<const char*, 6> op_names = {
    "atomic_fetch_add<u64>", "atomic_compare_swap<u64> (succeeds)",
    "write_bytes 16 B",      "atomic_store<u64>",
    "atomic_load<u64>",      "read_bytes 64 B"};

// Median over 20 slices of `reps` calls, after one untimed slice (a connection's first use
// across hosts costs far more than the rest).
template <class Op>
double per_op_us(long reps, Op op) {
  const long slice = std::max(reps / 20, 1L);
  for (long i = 0; i < slice; ++i) op(static_cast<std::uint64_t>(i));
  std::vector<double> us;
  for (int s = 0; s < 20; ++s) {
    const auto t0 = Clock::now();
    for (long i = 0; i < slice; ++i) op(static_cast<std::uint64_t>(i));
    us.push_back(since(t0) / static_cast<double>(slice) * 1e6);
  }
  return median(us);
}

OpCosts time_ops(mpp::detail::Handle block, long reps) {
  using namespace mpp::detail;
  char bytes[64] = {};
  std::uint64_t word = atomic_load<std::uint64_t>(block, 64);
  return {per_op_us(reps, [&](std::uint64_t) { atomic_fetch_add<std::uint64_t>(block, 0, 1); }),
          per_op_us(reps,
                    [&](std::uint64_t) {
                      word = atomic_compare_swap<std::uint64_t>(block, 64, word, word + 1) + 1;
                    }),
          per_op_us(reps, [&](std::uint64_t) { write_bytes(block, 256, bytes, 16); }),
          per_op_us(reps, [&](std::uint64_t i) { atomic_store<std::uint64_t>(block, 128, i); }),
          per_op_us(reps, [&](std::uint64_t) { atomic_load<std::uint64_t>(block, 192); }),
          per_op_us(reps, [&](std::uint64_t) { read_bytes(block, 256, bytes, 64); })};
}

void breakdown(long reps, Int alone_items) {
  alone(5, alone_items);
  const mpp::detail::Handle block = mpp::detail::heap_allocate(512);
  const OpCosts consumer = time_ops(block, reps);
  const OpCosts producer = mpp::call_on(1, time_ops, block, reps);
  mpp::detail::heap_free(block);
  for (std::size_t k = 0; k < op_names.size(); ++k) {
    emit("queue breakdown", std::string(op_names[k]) + " by rank 0", consumer[k], "us/op");
    emit("queue breakdown", std::string(op_names[k]) + " by rank 1", producer[k], "us/op");
  }
  // As in W3: the producer on rank 1 puts an int with fetch_add (item slot), CAS (reserve), a
  // 16-byte write and the stamp store; the consumer on rank 0 gets it with the stamp load, a
  // 64-byte read, a CAS to claim, a CAS to hand the space back and fetch_add (count).
  emit("queue breakdown", "a put's operations summed, by rank 1",
       producer[0] + producer[1] + producer[2] + producer[3], "us/item");
  emit("queue breakdown", "a get's operations summed, by rank 0",
       consumer[4] + consumer[5] + 2 * consumer[1] + consumer[0], "us/item");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mpp queue benchmark: W3 queue throughput, 1 KiB / 64 KiB items, Pipe round trip"};
  std::vector<std::string> only{"w3", "bytes", "pipe", "breakdown"};
  Int items = 200000, kib1 = 100000, kib64 = 2000, round_trips = 20000, warmup = 1000;
  Int alone_items = 50000;
  long op_reps = 200000;
  app.add_option("--only", only, "workloads to run")
      ->delimiter(',')
      ->check(CLI::IsMember({"w3", "bytes", "pipe", "breakdown"}));
  app.add_option("--items", items, "W3: ints in total")->check(CLI::PositiveNumber);
  app.add_option("--items-1k", kib1, "1 KiB items")->check(CLI::PositiveNumber);
  app.add_option("--items-64k", kib64, "64 KiB items")->check(CLI::PositiveNumber);
  app.add_option("--round-trips", round_trips, "pipe: timed round trips")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "pipe: untimed round trips first")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--op-reps", op_reps, "breakdown: repetitions of each RMA operation")
      ->check(CLI::PositiveNumber);
  app.add_option("--alone-items", alone_items,
                 "breakdown: items per round (5 rounds; they must fit the ring)")
      ->check(CLI::Range(Int{1}, Int{65536}));
  app.add_option("--label", bench::label, "system name printed in the results");
  CLI11_PARSE(app, argc, argv);
  auto wants = [&](const char* w) { return std::find(only.begin(), only.end(), w) != only.end(); };

  return mpp::run(argc, argv, [&]() -> int {
    if (bench::label.empty()) bench::label = "mpp, " + std::to_string(mpp::worker_count() + 1) + " ranks";
    if (mpp::worker_count() < 1) {
      std::fprintf(stderr, "bench_queue: needs worker ranks (run with -n 3)\n");
      return 2;
    }
    if (wants("w3")) {
      w3(1, std::max<Int>(items / 10, 1), false);  // warm-up: pages of the ring, Process threads
      for (int p : {1, 2}) w3(p, items, true);
    }
    if (wants("bytes")) {
      bytes<1024>(kib1);
      bytes<65536>(kib64);
    }
    if (wants("pipe")) pipe_round_trip(round_trips, warmup);
    if (wants("breakdown")) breakdown(op_reps, alone_items);
    return 0;
  });
}
