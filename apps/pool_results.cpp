// pool_results: tasks that return values, collected and summed, first with Pool.map, then
// with ProcessPoolExecutor.map (concurrent.futures).
//
// Python original:
//   def task(i):
//       return i * i
//   with Pool() as pool:
//       print(sum(pool.map(task, range(N))))
//   with ProcessPoolExecutor() as executor:
//       print(sum(executor.map(task, range(N))))
#include <mpp/mpp.hpp>
#include <numeric>
#include <vector>

#include "common/app.hpp"

long task(long i) { return i * i; }

int main(int argc, char** argv) {
  mppapp::App app("pool_results", "Task results summed: Pool.map and ProcessPoolExecutor.map");
  long n = 1000;
  app.flag("--n", n, "tasks: i * i for i in [0, n)")->check(CLI::Range(1L, 1000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<long> inputs(static_cast<std::size_t>(n));
    std::iota(inputs.begin(), inputs.end(), 0L);
    const long expected = (n - 1) * n * (2 * n - 1) / 6;  // 0^2 + 1^2 + ... + (n-1)^2

    mpp::Pool pool;
    const std::vector<long> results = r.timed("pool.map", [&] { return pool.map(task, inputs); });
    const long pool_sum = std::accumulate(results.begin(), results.end(), 0L);
    r.result("pool_sum", pool_sum);
    r.check("pool.map sum", pool_sum == expected, "got {}, expected {}", pool_sum, expected);

    mpp::ProcessPoolExecutor executor;
    long executor_sum = 0;
    {
      auto t = r.timer("executor.map");
      for (long y : executor.map(task, inputs)) executor_sum += y;
    }
    r.result("executor_sum", executor_sum);
    r.check("executor.map sum", executor_sum == expected, "got {}, expected {}", executor_sum,
            expected);
  });
}
