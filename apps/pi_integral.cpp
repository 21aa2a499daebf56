// pi_integral: pi as the integral of 4 / (1 + x^2) from 0 to 1, by the midpoint rule with n
// intervals. The intervals are split into one slice per pool process, each summed by a task
// (Pool.starmap), then summed once more by a plain serial loop to measure the speed-up.
//
// Python original:
//   def calc_pi_part(start, stop, step):
//       s = 0.0
//       for i in range(start, stop):
//           x = (i + 0.5) * step
//           s += 4.0 / (1.0 + x * x)
//       return s * step
//   n, np = 100000000, multiprocessing.cpu_count()
//   slices = [(i * n // np, (i + 1) * n // np, 1.0 / n) for i in range(np)]
//   with Pool(np) as pool:
//       print(sum(pool.starmap(calc_pi_part, slices)))
#include <cmath>
#include <mpp/mpp.hpp>
#include <numbers>
#include <numeric>
#include <utility>
#include <vector>

#include "common/app.hpp"

// The midpoint sum over intervals [start, stop) of n, times the width of one.
double calc_pi_part(long n, long start, long stop) {
  const double step = 1.0 / static_cast<double>(n);
  double s = 0.0;
  for (long i = start; i < stop; ++i) {
    const double x = (static_cast<double>(i) + 0.5) * step;
    s += 4.0 / (1.0 + x * x);
  }
  return s * step;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "pi_integral",
      "pi by the midpoint rule on 4/(1+x^2), one slice per pool process; speed-up over serial");
  long n = 100000000;
  int slices = 0;
  app.flag("--intervals", n, "intervals of the midpoint rule")
      ->check(CLI::Range(1L, 100000000000L));
  app.flag("--slices", slices, "slices of the intervals (0: one per pool process)")
      ->check(CLI::Range(0, 1000000));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    auto t = r.timer("pool");
    mpp::Pool pool;
    const long parts = slices > 0 ? slices : pool.processes();
    std::vector<std::pair<long, long>> bounds;
    for (long i = 0; i < parts; ++i) bounds.emplace_back(i * n / parts, (i + 1) * n / parts);
    const std::vector<double> sums = pool.starmap(mpp::partial(calc_pi_part, n), bounds);
    const double pi = std::accumulate(sums.begin(), sums.end(), 0.0);
    const double pool_s = t.stop();

    auto ts = r.timer("serial");
    const double serial_pi = calc_pi_part(n, 0, n);
    const double serial_s = ts.stop();

    const double error = pi - std::numbers::pi;
    r.say("pi = {:.15f} from {} intervals in {} slices (error {:+.2e})", pi, n, parts, error);
    r.say("speed-up {:.2f}x over serial on {} worker{}", serial_s / pool_s, pool.processes(),
          pool.processes() == 1 ? "" : "s");
    r.result("pi", pi);
    r.result("error", error);
    r.result("speed_up", serial_s / pool_s);
    // The midpoint rule is off by about 1 / (12 n^2); rounding adds far less than 1e-9.
    const double tolerance = 1.0 / (10.0 * static_cast<double>(n) * static_cast<double>(n)) + 1e-9;
    r.check("close to pi", std::abs(error) < tolerance, "error {:.3e}, tolerance {:.1e}", error,
            tolerance);
    r.check("the slices add up to the serial sum", std::abs(pi - serial_pi) < 1e-9,
            "pool {:.15f}, serial {:.15f}", pi, serial_pi);
  });
}
