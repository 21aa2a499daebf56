// sleep_tasks: tasks that wait (sleep) overlap: 20 Processes sleeping 1 s take about 1 s, not
// 20; Pool.map of 24 such tasks takes ceil(24 / pool processes) s, since each process runs one
// task at a time.
//
// Python original:
//   def task(seconds, i):
//       time.sleep(seconds)
//       return i
//   processes = [Process(target=task, args=(1, i)) for i in range(20)]
//   for p in processes: p.start()
//   for p in processes: p.join()                    # about 1 s
//   with Pool() as pool:
//       print(pool.map(partial(task, 1), range(24)))  # ceil(24 / cpu_count()) s
#include <chrono>
#include <cmath>
#include <mpp/mpp.hpp>
#include <numeric>
#include <thread>
#include <vector>

#include "common/app.hpp"

int task(double seconds, int i) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return i;
}

// A Process's result goes nowhere (as in Python), so it ticks a shared counter instead.
void process_task(int i, double seconds, mpp::Value<int> finished) {
  task(seconds, i);
  finished.fetch_add(1);
}

int main(int argc, char** argv) {
  mppapp::App app("sleep_tasks", "Sleeping tasks overlap: Processes and Pool.map");
  int processes = 20, tasks = 24, pool_size = 0;
  double seconds = 0.25;
  app.flag("--processes", processes, "Processes started at once")->check(CLI::Range(1, 200));
  app.flag("--tasks", tasks, "tasks given to Pool.map")->check(CLI::Range(1, 1000));
  app.flag("--seconds", seconds, "how long each task sleeps (the tutorial: 1)")
      ->check(CLI::Range(0.0, 10.0));
  app.flag("--pool-size", pool_size, "Pool processes (0: one per worker)")
      ->check(CLI::Range(0, 64));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    mpp::Value<int> finished(0);
    auto t = r.timer("processes");
    std::vector<mpp::Process> ps;
    for (int i = 0; i < processes; ++i) ps.emplace_back(process_task, i, seconds, finished);
    for (auto& p : ps) p.start();
    for (auto& p : ps) p.join();
    const double processes_s = t.stop();
    r.say("{} processes sleeping {} s each took {:.2f} s", processes, seconds, processes_s);
    r.result("processes_finished", finished.load());
    r.check("every process finished", finished.load() == processes, "{} of {}", finished.load(),
            processes);
    // Run one after the other they would take processes x seconds; overlapping, about one.
    r.check("the processes overlapped", processes_s < processes * seconds,
            "{:.2f} s, not below {:.2f} s", processes_s, processes * seconds);

    mpp::Pool pool = pool_size > 0 ? mpp::Pool(pool_size) : mpp::Pool();
    std::vector<int> inputs(static_cast<std::size_t>(tasks));
    std::iota(inputs.begin(), inputs.end(), 0);
    auto tp = r.timer("pool.map");
    const std::vector<int> results = pool.map(mpp::partial(task, seconds), inputs, 1);
    const double pool_s = tp.stop();
    const double rounds = std::ceil(double(tasks) / pool.processes());
    r.say("pool.map of {} tasks on {} processes took {:.2f} s (ceil({}/{}) x {} s = {:.2f} s)",
          tasks, pool.processes(), pool_s, tasks, pool.processes(), seconds, rounds * seconds);
    r.result("pool_processes", pool.processes());
    r.result("pool_expected_s", rounds * seconds);
    r.check("pool.map returned every task in order", results == inputs);
  });
}
