// Runtime benchmark (issue "Foundation", section 9): the two costs everything else in mpp is
// built from, measured from rank 0 while the workers serve.
//   1. mpp::Value<long>::fetch_add(1) on memory owned by rank 0: issued by rank 0 itself, and
//      by worker 1 inside one shipped task that times its own loop. Mean us per op over a time
//      budget, after a warm-up.
//   2. One remote call with a tiny argument, mpp::call_on(1, echo, i): each call timed on its
//      own; median, p90 and mean in us.
// One JSON line per figure on stdout, in the peers' schema (bench/peers/common.py):
//   {"workload": ..., "system": ..., "figure": ..., "value": ..., "unit": ..., extras}
// bench/run.py runs this next to bench/peers/raw_mpi (the floor) and the Python peers.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mpp/mpp.hpp>
#include <string>
#include <vector>

#include "../emit.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What a timed fetch_add loop reports; trivially copyable, so it travels back bit for bit.
struct LoopResult {
  long warm_ops;   // untimed ops before the clock started
  long ops;        // timed ops
  double seconds;  // for the timed ops
  long wrong;      // ops whose returned previous value was not the expected one
};

// Warm-up for a tenth of the budget, then fetch_add(1) until the budget is spent. The clock is
// read every 16 ops, as raw_mpi's loop does, so both pay the same for it. The caller owns the
// Value alone during the loop, so each fetch_add must return exactly the previous count.
LoopResult fetch_add_loop(mpp::Value<long> counter, double budget_s) {
  LoopResult r{0, 0, 0.0, 0};
  long expect = counter.load();
  const auto warm_start = Clock::now();
  while (r.warm_ops < 1000 || since(warm_start) < budget_s / 10) {
    for (int k = 0; k < 16; ++k, ++r.warm_ops)
      if (counter.fetch_add(1) != expect++) ++r.wrong;
  }
  const auto t0 = Clock::now();
  do {
    for (int k = 0; k < 16; ++k, ++r.ops)
      if (counter.fetch_add(1) != expect++) ++r.wrong;
    r.seconds = since(t0);
  } while (r.seconds < budget_s);
  return r;
}

int echo(int x) { return x; }
std::string host_name() { return mpp::hostname(); }

using bench::emit;

bool report_loop(const std::string& figure, const LoopResult& r,
                 long final_value, long start_value) {
  char extra[160];
  std::snprintf(extra, sizeof extra, ", \"iters\": %ld, \"warmup_iters\": %ld, \"seconds\": %.4f",
                r.ops, r.warm_ops, r.seconds);
  emit("fetch_add", figure, r.seconds / static_cast<double>(r.ops) * 1e6, "us", extra);
  const long expected = start_value + r.warm_ops + r.ops;
  if (r.wrong != 0 || final_value != expected) {
    std::fprintf(stderr, "CHECK FAILED: %s: %ld ops returned an unexpected previous value; "
                 "final value %ld, expected %ld\n", figure.c_str(), r.wrong, final_value, expected);
    return false;
  }
  return true;
}

double percentile(const std::vector<double>& sorted, double p) {
  // Nearest rank on the sorted samples: the smallest sample with at least p of them at or below.
  const auto n = sorted.size();
  auto idx = static_cast<std::size_t>(p * static_cast<double>(n) + 0.999999);
  idx = std::clamp<std::size_t>(idx, 1, n);
  return sorted[idx - 1];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mpp runtime benchmark: Value::fetch_add and one remote call round trip"};
  double budget_s = 0.5;
  int calls = 5000;
  int warmup_calls = 500;
  app.add_option("--label", bench::label, "system name printed in the results (default: mpp, N ranks)");
  app.add_option("--budget", budget_s, "seconds per fetch_add loop, after a warm-up of a tenth")
      ->check(CLI::PositiveNumber);
  app.add_option("--calls", calls, "timed call_on round trips")->check(CLI::PositiveNumber);
  app.add_option("--warmup-calls", warmup_calls, "untimed call_on round trips before")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  return mpp::run(argc, argv, [&]() -> int {
    const int workers = mpp::worker_count();
    if (workers < 1) {
      std::fprintf(stderr, "bench_runtime: needs at least one worker rank (run with -n 2 or more)\n");
      return 2;
    }
    const int ranks = workers + 1;
    if (bench::label.empty()) bench::label = "mpp, " + std::to_string(ranks) + " ranks";
    std::fprintf(stderr, "[bench_runtime] %d ranks; rank 0 on %s, rank 1 on %s\n", ranks,
                 mpp::hostname().c_str(), mpp::call_on(1, host_name).c_str());
    bool ok = true;

    // 1a. fetch_add from rank 0 on its own memory.
    {
      mpp::Value<long> counter(0);
      const LoopResult r = fetch_add_loop(counter, budget_s);
      ok &= report_loop("Value<long>::fetch_add(1) by rank 0, memory on rank 0", r,
                        counter.load(), 0);
    }
    // 1b. fetch_add from worker 1 on rank 0's memory; rank 0 waits in call_on meanwhile.
    {
      mpp::Value<long> counter(0);
      const LoopResult r = mpp::call_on(1, fetch_add_loop, counter, budget_s);
      ok &= report_loop("Value<long>::fetch_add(1) by rank 1, memory on rank 0", r,
                        counter.load(), 0);
    }

    // 2. Round trip of one tiny remote call, each timed on its own.
    for (int i = 0; i < warmup_calls; ++i) {
      if (mpp::call_on(1, echo, i) != i) {
        std::fprintf(stderr, "CHECK FAILED: warm-up call_on(1, echo, %d) returned a wrong value\n", i);
        return 1;
      }
    }
    std::vector<double> us(static_cast<std::size_t>(calls));
    long wrong = 0;
    double total_s = 0;
    for (int i = 0; i < calls; ++i) {
      const auto t0 = Clock::now();
      const int got = mpp::call_on(1, echo, i);
      const double s = since(t0);
      us[static_cast<std::size_t>(i)] = s * 1e6;
      total_s += s;
      if (got != i) ++wrong;
    }
    if (wrong != 0) {
      std::fprintf(stderr, "CHECK FAILED: %ld of %d call_on(1, echo, i) returned a wrong value\n",
                   wrong, calls);
      ok = false;
    }
    std::sort(us.begin(), us.end());
    char extra[160];
    std::snprintf(extra, sizeof extra, ", \"iters\": %d, \"warmup_iters\": %d, \"seconds\": %.4f",
                  calls, warmup_calls, total_s);
    const std::string what = "call_on(1, echo, int) round trip, ";
    emit("round trip", what + "median", percentile(us, 0.5), "us", extra);
    emit("round trip", what + "p90", percentile(us, 0.9), "us", extra);
    emit("round trip", what + "mean", total_s / calls * 1e6, "us", extra);
    emit("round trip", what + "max", us.back(), "us", extra);
    return ok ? 0 : 1;
  });
}
