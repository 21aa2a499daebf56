// cpu_tasks: tasks that compute (no waiting) through Pool.map, against the same loop run
// serially: with P pool processes on P free cores the speed-up approaches P.
//
// Python original:
//   def task(i):
//       return sum(math.sqrt(i + j) for j in range(WORK))
//   serial = [task(i) for i in range(TASKS)]
//   with Pool() as pool:
//       parallel = pool.map(task, range(TASKS))
//   assert parallel == serial
#include <cmath>
#include <mpp/mpp.hpp>
#include <numeric>
#include <vector>

#include "common/app.hpp"

// A fixed amount of arithmetic; the same inputs give the same bits on every rank.
double task(long work, int i) {
  double total = 0.0;
  for (long j = 0; j < work; ++j) total += std::sqrt(static_cast<double>(i + j));
  return total;
}

int main(int argc, char** argv) {
  mppapp::App app("cpu_tasks",
                  "Busy tasks of fixed work through Pool.map, and the speed-up over serial");
  int tasks = 16, pool_size = 0;
  long work = 5000000;
  app.flag("--tasks", tasks, "tasks given to Pool.map")->check(CLI::Range(1, 100000));
  app.flag("--work", work, "square roots summed per task")->check(CLI::Range(1L, 1000000000L));
  app.flag("--pool-size", pool_size, "Pool processes (0: one per worker)")
      ->check(CLI::Range(0, 64));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<int> inputs(static_cast<std::size_t>(tasks));
    std::iota(inputs.begin(), inputs.end(), 0);

    auto ts = r.timer("serial");
    std::vector<double> serial;
    for (int i : inputs) serial.push_back(task(work, i));
    const double serial_s = ts.stop();

    mpp::Pool pool = pool_size > 0 ? mpp::Pool(pool_size) : mpp::Pool();
    auto tp = r.timer("pool.map");
    const std::vector<double> parallel = pool.map(mpp::partial(task, work), inputs);
    const double pool_s = tp.stop();

    r.result("pool_processes", pool.processes());
    r.result("first", parallel.front());
    r.result("speedup", serial_s / pool_s);
    r.say("speed-up {:.2f} with {} pool processes ({} cores on this node)", serial_s / pool_s,
          pool.processes(), mpp::cpu_count());
    r.check("pool results equal the serial ones, in order", parallel == serial);
  });
}
