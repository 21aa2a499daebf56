// pi_montecarlo: pi from random points in the unit square, the share that falls inside the
// quarter circle being pi/4. The points are split into tasks run by a Pool, then counted again
// by a plain serial loop to measure the speed-up.
//
// Python original:
//   def monte_carlo_pi_part(n):
//       count = 0
//       for i in range(n):
//           x, y = random.random(), random.random()
//           if x * x + y * y <= 1:
//               count += 1
//       return count
//   n, np = 10000000, multiprocessing.cpu_count()
//   with Pool(np) as pool:
//       count = pool.map(monte_carlo_pi_part, [n // np] * np)
//   print("Estimated value of Pi:", sum(count) / n * 4)
//
// Difference: each task draws from its own seed (seed + task number) and the number of tasks is
// a flag, so the estimate depends on --seed and --tasks only, not on how many workers there are,
// and the pool's count must equal the serial loop's exactly.
#include <cmath>
#include <cstdint>
#include <mpp/mpp.hpp>
#include <numbers>
#include <numeric>
#include <random>
#include <vector>

#include "common/app.hpp"

long monte_carlo_pi_part(long n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  long count = 0;
  for (long i = 0; i < n; ++i) {
    const double x = uniform(random), y = uniform(random);
    if (x * x + y * y <= 1.0) ++count;
  }
  return count;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "pi_montecarlo",
      "pi by Monte Carlo over a Pool; error against pi and speed-up over a serial loop");
  long points = 20000000;
  int tasks = 32;
  std::uint64_t seed = 2024;
  app.flag("--points", points, "points in all")->check(CLI::Range(1L, 100000000000L));
  app.flag("--tasks", tasks, "tasks the points are split into")->check(CLI::Range(1, 1000000));
  app.flag("--seed", seed, "seed of the first task (task i uses seed + i)");

  return app.run(argc, argv, [&](mppapp::Report& r) {
    const long per_task = points / tasks;
    const long n = per_task * tasks;  // what is drawn in all
    std::vector<std::uint64_t> seeds(static_cast<std::size_t>(tasks));
    std::iota(seeds.begin(), seeds.end(), seed);

    auto t = r.timer("pool");
    mpp::Pool pool;
    const std::vector<long> counts = pool.map(mpp::partial(monte_carlo_pi_part, per_task), seeds);
    const double pool_s = t.stop();
    const long inside = std::accumulate(counts.begin(), counts.end(), 0L);

    auto ts = r.timer("serial");
    long serial_inside = 0;
    for (std::uint64_t s : seeds) serial_inside += monte_carlo_pi_part(per_task, s);
    const double serial_s = ts.stop();

    const double pi = 4.0 * static_cast<double>(inside) / static_cast<double>(n);
    const double error = pi - std::numbers::pi;
    // Standard deviation of the estimate: 4 sqrt(p (1 - p) / n) with p = pi / 4.
    const double sigma =
        4.0 * std::sqrt(std::numbers::pi / 4 * (1 - std::numbers::pi / 4) / static_cast<double>(n));
    r.say(
        "Estimated value of Pi: {:.8f} from {} points (error {:+.2e}, {:.1f} standard deviations)",
        pi, n, error, std::abs(error) / sigma);
    r.say("speed-up {:.2f}x over serial on {} worker{}", serial_s / pool_s, pool.processes(),
          pool.processes() == 1 ? "" : "s");
    r.result("pi", pi);
    r.result("error", error);
    r.result("speed_up", serial_s / pool_s);
    r.check("the pool counts exactly the points the serial loop counts", inside == serial_inside,
            "pool {}, serial {}", inside, serial_inside);
    r.check("within 6 standard deviations of pi", std::abs(error) < 6 * sigma,
            "error {:.3e}, sigma {:.3e}", error, sigma);
  });
}
