// Sync benchmark (issue "Shared state and synchronisation"):
//   w4        the peers' W4 workload on 2 ranks: rank 0 and rank 1 each do --iters (100000)
//             increments of one mpp::Value<int> on rank 0, at once, three ways:
//             locked (std::lock_guard g(v.get_lock()); v.store(v.load() + 1);), fetch_add(1),
//             and unlocked load + store (lost increments reported). Clock: from the start
//             barrier to the later of the two ends, as lock_bench.py does.
//   handover  every rank loops over a locked increment of an mpp::Lock for --budget seconds:
//             aggregate acquisitions/s, and the hand-over latency (the previous holder's stamp,
//             taken just before its unlock(), to this holder's return from lock()).
// One JSON line per figure on stdout (the peers' schema); exits 1 if a checked count is wrong.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mpp/mpp.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "../emit.hpp"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}


using bench::emit;

enum Mode : int { locked = 0, fetch_add = 1, unlocked = 2 };

struct Span {
  double t0, t1;
};

Span w4_loop(mpp::Value<int> v, mpp::Barrier start, int mode, long iters) {
  start.wait();
  const double t0 = now_s();
  if (mode == locked) {
    for (long i = 0; i < iters; ++i) {
      std::lock_guard g(v.get_lock());
      v.store(v.load() + 1);
    }
  } else if (mode == fetch_add) {
    for (long i = 0; i < iters; ++i) v.fetch_add(1);
  } else {
    for (long i = 0; i < iters; ++i) v.store(v.load() + 1);
  }
  return {t0, now_s()};
}

// Rank 0 and rank 1 run the loop at once; returns increments per second, checks the total.
double w4_run(int mode, long iters, bool& ok) {
  mpp::Value<int> v(0);
  mpp::Barrier start(2);
  auto other = mpp::submit_to(1, w4_loop, v, start, mode, iters);
  const Span mine = w4_loop(v, start, mode, iters);
  const Span theirs = other.get();
  const double span = std::max(mine.t1, theirs.t1) - std::min(mine.t0, theirs.t0);
  const long final_value = v.load();
  if (mode != unlocked && final_value != 2 * iters) {
    std::fprintf(stderr, "CHECK FAILED: mode %d: final %ld, expected %ld\n", mode, final_value,
                 2 * iters);
    ok = false;
  }
  if (mode == unlocked) {
    emit("sync W4",
         "2 ranks x " + std::to_string(iters) +
             ": lost increments without a lock (v.store(v.load() + 1))",
         static_cast<double>(2 * iters - final_value), "increments lost");
  }
  return 2.0 * static_cast<double>(iters) / span;
}

void w4(long iters, bool& ok) {
  const std::string what = "2 ranks x " + std::to_string(iters) + ": ";
  w4_run(locked, iters / 10, ok);  // warm-up: queue nodes, first-touch of the blocks
  emit("sync W4", what + "lock_guard(v.get_lock()); v.store(v.load() + 1) (final checked)",
       w4_run(locked, iters, ok), "increments/s");
  emit("sync W4", what + "v.fetch_add(1) (final checked)", w4_run(fetch_add, iters, ok),
       "increments/s");
  emit("sync W4", what + "v.store(v.load() + 1), no lock", w4_run(unlocked, iters, ok),
       "increments/s");
}

// [count, acquisitions, t0, t1, latencies in us...]
std::vector<double> handover_loop(mpp::Lock lock, mpp::Array<std::int64_t> stamp,
                                  mpp::Barrier start, double budget) {
  const auto me = static_cast<std::int64_t>(mpp::rank());
  std::vector<double> out(4, 0.0);
  start.wait();
  const double t0 = now_s(), end = t0 + budget;
  long acquisitions = 0;
  while (now_s() < end) {
    lock.lock();
    const std::int64_t inside = now_ns();
    const auto s = stamp.get(0, 3);  // [stamp before the last unlock, its rank, count]
    if (s[0] != 0 && s[1] != me) out.push_back(static_cast<double>(inside - s[0]) / 1000.0);
    ++acquisitions;
    stamp.set(0, {now_ns(), me, s[2] + 1});
    lock.unlock();
  }
  out[1] = static_cast<double>(acquisitions);
  out[2] = t0;
  out[3] = now_s();
  return out;
}

void handover(double budget, bool& ok) {
  const int ranks = mpp::worker_count() + 1;
  mpp::Lock lock;
  mpp::Array<std::int64_t> stamp(3, 0, mpp::lock = false);
  mpp::Barrier start(ranks);
  std::vector<mpp::RemoteCall<std::vector<double>>> calls;
  for (int r = 1; r < ranks; ++r)
    calls.push_back(mpp::submit_to(r, handover_loop, lock, stamp, start, budget));
  std::vector<std::vector<double>> results{handover_loop(lock, stamp, start, budget)};
  for (auto& c : calls) results.push_back(c.get());
  double total = 0, t0 = 1e300, t1 = 0;
  std::vector<double> latencies;
  for (const auto& r : results) {
    total += r[1];
    t0 = std::min(t0, r[2]);
    t1 = std::max(t1, r[3]);
    latencies.insert(latencies.end(), r.begin() + 4, r.end());
  }
  if (stamp.get(2) != static_cast<std::int64_t>(total)) {
    std::fprintf(stderr, "CHECK FAILED: handover count %ld, expected %.0f\n",
                 static_cast<long>(stamp.get(2)), total);
    ok = false;
  }
  std::sort(latencies.begin(), latencies.end());
  const std::string where = std::to_string(ranks) + " ranks";
  char extra[96];
  std::snprintf(extra, sizeof extra, ", \"acquisitions\": %.0f, \"handovers\": %zu", total,
                latencies.size());
  emit("sync handover", where + ": mpp::Lock locked increments, aggregate", total / (t1 - t0),
       "acquisitions/s", extra);
  emit("sync handover", where + ": hand-over latency to another rank, median",
       latencies.empty() ? 0.0 : latencies[latencies.size() / 2], "us", extra);
  if (!latencies.empty()) {
    double sum = 0;
    for (double l : latencies) sum += l;
    emit("sync handover", where + ": hand-over latency to another rank, p90",
         latencies[latencies.size() * 9 / 10], "us", extra);
    emit("sync handover", where + ": hand-over latency to another rank, p99",
         latencies[latencies.size() * 99 / 100], "us", extra);
    emit("sync handover", where + ": hand-over latency to another rank, mean",
         sum / static_cast<double>(latencies.size()), "us", extra);
  }
  emit("sync handover", where + ": hand-over share of acquisitions",
       total == 0 ? 0.0 : static_cast<double>(latencies.size()) / total, "fraction", extra);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mpp sync benchmark: W4 locked increments and fetch_add; Lock hand-over"};
  std::string workload = "w4";
  long iters = 100000;
  double budget = 1.0;
  app.add_option("--workload", workload, "w4 or handover")
      ->check(CLI::IsMember({"w4", "handover"}));
  app.add_option("--iters", iters, "W4: increments per rank")->check(CLI::PositiveNumber);
  app.add_option("--budget", budget, "handover: seconds")->check(CLI::PositiveNumber);
  app.add_option("--label", bench::label, "system name printed in the results");
  CLI11_PARSE(app, argc, argv);

  return mpp::run(argc, argv, [&]() -> int {
    if (bench::label.empty())
      bench::label = "mpp, " + std::to_string(mpp::worker_count() + 1) + " ranks";
    bool ok = true;
    if (workload == "w4") {
      if (mpp::worker_count() < 1) {
        std::fprintf(stderr, "bench_sync: w4 needs 2 ranks (run with -n 2)\n");
        return 2;
      }
      w4(iters, ok);
    } else {
      handover(budget, ok);
    }
    return ok ? 0 : 1;
  });
}
