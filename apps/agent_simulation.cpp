// agent_simulation: an SIR epidemic on a grid, the agent-based model that the first
// multiprocessing tutorial suggests as the next step. Every cell is an agent, Susceptible,
// Infected or Recovered; at each step a susceptible agent catches the disease from each infected
// neighbour (8 around it) with probability --beta, and an infected one recovers with probability
// --gamma. A few agents are infected at the start.
//
// A Python version keeps the grid in a multiprocessing.Array, runs one Process per band of rows
// and makes them meet at a Barrier after every step (sketch below). Here the grid is an mpp::Array
// spread over every rank's heap (mpp::distributed), and the band of rank k is the rows stored on
// rank k, so each process mostly touches its own memory; rank 0's main works on band 0 itself. Each
// step a process reads its rows plus one row either side from the current grid and writes its rows
// of the next grid. Two grids, swapped every step, so that nobody overwrites a row that a neighbour
// is still reading; one barrier per step then suffices.
//
// Python sketch:
//   def run_band(grids, barrier, band):
//       lo, hi = rows_of(band)
//       for step in range(1, steps + 1):
//           current, next = grids[(step - 1) % 2], grids[step % 2]
//           next[lo * size:hi * size] = advance(current[(lo - 1) * size:(hi + 1) * size], step)
//           barrier.wait()
//   grids = [Array('b', size * size, lock=False) for _ in range(2)]
//   barrier = Barrier(bands)
//   processes = [Process(target=run_band, args=(grids, barrier, b)) for b in range(bands)]
//
// The random draws come from a hash of (seed, step, cell) rather than one stream per process,
// so a run does not depend on the number of ranks. The program checks that: the counts of every
// step and the final grid's checksum must equal a serial run of the same rules.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mpp/mpp.hpp>
#include <string>
#include <vector>

#include "common/app.hpp"

namespace {

using Cell = std::uint8_t;
enum : Cell { S = 0, I = 1, R = 2 };

// The rules and sizes; trivially copyable, so it travels to the processes bit for bit.
struct Model {
  int size = 200;  // the grid is size x size
  int steps = 60;
  int initial = 5;  // agents infected at the start
  double beta = 0.3;
  double gamma = 0.1;
  std::uint64_t seed = 1;

  std::size_t cells() const {
    return static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  }
  std::size_t at(int row) const {
    return static_cast<std::size_t>(row) * static_cast<std::size_t>(size);
  }
};

// One step's census, plus a checksum of the grid that does not depend on how it was split.
struct Tally {
  std::array<long, 3> count{};
  std::uint64_t checksum = 0;
};

// What a run produced: S, I, R after each step (step 0 = the start) and the final checksum.
struct Outcome {
  std::vector<long> counts;  // 3 per step
  std::uint64_t checksum = 0;
};

// Where the count of `state` after `step` sits in Outcome::counts.
std::size_t slot(int step, Cell state) { return static_cast<std::size_t>(step) * 3 + state; }

// splitmix64's mixing function: consecutive inputs give unrelated outputs.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The dice of one cell at one step, in [0, 1): the same on whichever rank rolls them.
double uniform(const Model& m, int step, std::size_t cell) {
  const std::uint64_t bits = mix(mix(m.seed ^ mix(static_cast<std::uint64_t>(step))) + cell);
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

std::vector<Cell> initial_rows(const Model& m, int lo, int hi) {
  std::vector<Cell> rows(m.at(hi) - m.at(lo), S);
  for (int j = 0; j < m.initial; ++j) {
    const std::size_t cell =
        mix(m.seed + 0x5bd1e995ULL * static_cast<std::uint64_t>(j + 1)) % m.cells();
    if (cell >= m.at(lo) && cell < m.at(hi)) rows[cell - m.at(lo)] = I;
  }
  return rows;
}

// Rows [lo, hi) after step `step`, from `cur`, which holds rows [first, ...) of the grid before
// it: the band and the rows either side of it that exist.
std::vector<Cell> advance(const Model& m, int step, const std::vector<Cell>& cur, int first, int lo,
                          int hi) {
  std::array<double, 9> catch_p{};  // by number of infected neighbours
  for (int k = 0; k < 9; ++k)
    catch_p[static_cast<std::size_t>(k)] = 1.0 - std::pow(1.0 - m.beta, k);
  const auto state = [&](int r, int c) {
    return cur[m.at(r - first) + static_cast<std::size_t>(c)];
  };
  std::vector<Cell> next(m.at(hi) - m.at(lo));
  for (int r = lo; r < hi; ++r) {
    for (int c = 0; c < m.size; ++c) {
      const Cell now = state(r, c);
      const double u = uniform(m, step, m.at(r) + static_cast<std::size_t>(c));
      Cell then = now;
      if (now == I) {
        then = u < m.gamma ? R : I;
      } else if (now == S) {
        std::size_t sick = 0;
        for (int y = std::max(r - 1, 0); y <= std::min(r + 1, m.size - 1); ++y)
          for (int x = std::max(c - 1, 0); x <= std::min(c + 1, m.size - 1); ++x)
            sick += (y != r || x != c) && state(y, x) == I;
        then = u < catch_p[sick] ? I : S;
      }
      next[m.at(r - lo) + static_cast<std::size_t>(c)] = then;
    }
  }
  return next;
}

Tally tally(const Model& m, const std::vector<Cell>& rows, int lo) {
  Tally t;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ++t.count[rows[i]];
    t.checksum += mix((m.at(lo) + i) * 4 + rows[i]);  // a sum: any split of the grid adds up alike
  }
  return t;
}

// The first row of band `band`: the array keeps block k of ceil(cells / bands) cells on rank k,
// so the band of rank k starts at the first row that begins inside that block.
int band_start(const Model& m, int band, int bands) {
  const std::size_t per_rank =
      (m.cells() + static_cast<std::size_t>(bands) - 1) / static_cast<std::size_t>(bands);
  const std::size_t row =
      (static_cast<std::size_t>(band) * per_rank + static_cast<std::size_t>(m.size) - 1) /
      static_cast<std::size_t>(m.size);
  return static_cast<int>(std::min(row, static_cast<std::size_t>(m.size)));
}

void add_tally(mpp::Array<long> counts, int step, const Tally& t) {
  for (Cell s : {S, I, R})
    if (t.count[s] != 0) counts.fetch_add(slot(step, s), t.count[s]);
}

// One band from the first step to the last. Band 0 is main's; band k a Process, which lands on
// rank k since each new Process goes to the rank running the fewest.
void run_band(Model m, mpp::Array<Cell> grid0, mpp::Array<Cell> grid1, mpp::Barrier barrier,
              mpp::Array<long> counts, mpp::Value<std::uint64_t> checksum, int band, int bands) {
  const int lo = band_start(m, band, bands), hi = band_start(m, band + 1, bands);
  std::array<mpp::Array<Cell>, 2> grids{grid0, grid1};
  std::vector<Cell> rows = initial_rows(m, lo, hi);
  if (lo < hi) grids[0].set(m.at(lo), rows);
  Tally t = tally(m, rows, lo);
  add_tally(counts, 0, t);
  barrier.wait();  // the whole first grid is written
  for (int step = 1; step <= m.steps; ++step) {
    if (lo < hi) {
      const int first = std::max(lo - 1, 0), last = std::min(hi + 1, m.size);
      rows = advance(m, step, grids[(step - 1) % 2].get(m.at(first), m.at(last)), first, lo, hi);
      grids[step % 2].set(m.at(lo), rows);
    }
    t = tally(m, rows, lo);
    add_tally(counts, step, t);
    barrier.wait();  // every band of this step is written before anyone reads it
  }
  checksum.fetch_add(t.checksum);
}

Outcome run_parallel(const Model& m, mppapp::Report& r) {
  const int bands = mpp::worker_count() + 1;  // one per rank
  // No lock: each cell has one writer per step and the barrier orders the steps.
  mpp::Array<Cell> grid0(m.cells(), S, mpp::distributed, mpp::lock = false);
  mpp::Array<Cell> grid1(m.cells(), S, mpp::distributed, mpp::lock = false);
  mpp::Barrier barrier(bands, nullptr, std::chrono::seconds(120));  // a lost band breaks it
  mpp::Array<long> counts(static_cast<std::size_t>(m.steps + 1) * 3, 0L);
  mpp::Value<std::uint64_t> checksum(0);
  std::vector<mpp::Process> processes;
  for (int band = 1; band < bands; ++band)
    processes.emplace_back(run_band, m, grid0, grid1, barrier, counts, checksum, band, bands);
  for (auto& p : processes) p.start();
  run_band(m, grid0, grid1, barrier, counts, checksum, 0, bands);
  int failed = 0;
  for (auto& p : processes) failed += !p.join(std::chrono::seconds(120)) || p.exitcode() != 0;
  r.check("every band process ended with exit code 0", failed == 0, "{} of {} did not", failed,
          bands - 1);
  return {counts.to_vector(), checksum.load()};
}

Outcome run_serial(const Model& m) {
  std::vector<Cell> grid = initial_rows(m, 0, m.size);
  Outcome out;
  Tally t = tally(m, grid, 0);
  out.counts.assign(t.count.begin(), t.count.end());
  for (int step = 1; step <= m.steps; ++step) {
    grid = advance(m, step, grid, 0, 0, m.size);
    t = tally(m, grid, 0);
    out.counts.insert(out.counts.end(), t.count.begin(), t.count.end());
  }
  out.checksum = t.checksum;
  return out;
}

std::string census(const std::vector<long>& c, int step) {
  return fmt::format("S {:8} I {:8} R {:8}", c[slot(step, S)], c[slot(step, I)], c[slot(step, R)]);
}

// SIR's invariants: nobody appears or vanishes, nobody becomes susceptible again or unrecovers.
int first_bad_step(const Model& m, const std::vector<long>& c) {
  for (int step = 0; step <= m.steps; ++step) {
    if (c[slot(step, S)] + c[slot(step, I)] + c[slot(step, R)] != static_cast<long>(m.cells()))
      return step;
    if (step > 0 &&
        (c[slot(step, S)] > c[slot(step - 1, S)] || c[slot(step, R)] < c[slot(step - 1, R)]))
      return step;
  }
  return -1;
}

std::size_t first_difference(const std::vector<long>& a, const std::vector<long>& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<std::size_t>(ia - a.begin()) / 3;
}

}  // namespace

int main(int argc, char** argv) {
  mppapp::App app("agent_simulation",
                  "SIR epidemic on a grid: one band of rows per rank in a distributed mpp::Array, "
                  "a Barrier between steps, checked against a serial run");
  Model m;
  bool verbose = false, skip_serial = false;
  app.flag("--size", m.size, "the grid is size x size agents")->check(CLI::Range(1, 20000));
  app.flag("--steps", m.steps, "time steps")->check(CLI::Range(0, 100000));
  app.flag("--seed", m.seed,
           "seed of the random draws (the result depends only on it, not on the ranks)");
  app.flag("--beta", m.beta, "chance to catch it from each infected neighbour per step")
      ->check(CLI::Range(0.0, 1.0));
  app.flag("--gamma", m.gamma, "chance for an infected agent to recover per step")
      ->check(CLI::Range(0.0, 1.0));
  app.flag("--initial", m.initial, "agents infected at the start")->check(CLI::NonNegativeNumber);
  app.toggle("--verbose", verbose,
             "a summary line for every step (the default for up to 20 steps)");
  app.toggle("--skip-serial", skip_serial, "no serial reference run (for large scaling runs)");

  return app.run(argc, argv, [&](mppapp::Report& r) {
    r.say(
        "SIR on a {0}x{0} grid, {1} steps, beta {2}, gamma {3}, seed {4}, {5} bands (one per rank)",
        m.size, m.steps, m.beta, m.gamma, m.seed, mpp::worker_count() + 1);
    const auto start = mppapp::Clock::now();
    const Outcome par = run_parallel(m, r);
    const double parallel_s = mppapp::seconds_since(start);
    r.timing("parallel", parallel_s);

    const auto& c = par.counts;
    for (int step = 0; step <= m.steps && (verbose || m.steps <= 20); ++step)
      r.say("step {:3}: {}", step, census(c, step));
    int peak = 0;
    for (int step = 1; step <= m.steps; ++step)
      if (c[slot(step, I)] > c[slot(peak, I)]) peak = step;
    r.result("final", nlohmann::json{{"S", c[slot(m.steps, S)]},
                                     {"I", c[slot(m.steps, I)]},
                                     {"R", c[slot(m.steps, R)]}});
    r.result("peak_infected", nlohmann::json{{"step", peak}, {"I", c[slot(peak, I)]}});
    r.result("checksum", fmt::format("{:016x}", par.checksum));
    const int bad = first_bad_step(m, c);
    r.check("S+I+R == population, S never grows, R never shrinks", bad < 0, "broken at step {}: {}",
            bad, census(c, std::max(bad, 0)));
    if (skip_serial) return;

    auto timer = r.timer("serial");
    const Outcome ser = run_serial(m);
    const double serial_s = timer.stop();
    r.check("every step's S, I, R equal the serial run's", par.counts == ser.counts,
            "first difference at step {}", first_difference(par.counts, ser.counts));
    r.check("final grid equals the serial run's (checksum)", par.checksum == ser.checksum,
            "parallel {:016x}, serial {:016x}", par.checksum, ser.checksum);
    r.result("speed_up", serial_s / parallel_s);
    r.say("speed-up {:.2f}x over serial on {} ranks", serial_s / parallel_s,
          mpp::worker_count() + 1);
  });
}
