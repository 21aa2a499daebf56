// lock_tasks: a Manager's Lock shared by executor tasks; each task holds it while it works
// and reports, so the reports of two tasks never interleave.
//
// Python original:
//   def task(identifier, lock):
//       with lock:
//           value = random()
//           sleep(value)
//           print(f'Task {identifier} completed with {value}', flush=True)
//   with Manager() as manager:
//       lock = manager.Lock()
//       with ProcessPoolExecutor(4) as executor:
//           futures = [executor.submit(task, i, lock) for i in range(10)]
//           wait(futures)
//
// Besides printing, each task logs two lines to a Manager list, one before and one after its
// sleep: the program checks that every task's two lines are next to each other.
#include <chrono>
#include <cstdio>
#include <mpp/mpp.hpp>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/app.hpp"

void task(int id, double max_seconds, unsigned seed, mpp::Lock lock,
          mpp::ListProxy<std::string> log, bool print) {
  std::lock_guard guard(lock);
  std::mt19937 random(seed + static_cast<unsigned>(id));
  const double value = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  log.append("task " + std::to_string(id) + " starts");
  std::this_thread::sleep_for(std::chrono::duration<double>(value * max_seconds));
  log.append("task " + std::to_string(id) + " completed with " + std::to_string(value));
  if (print) {
    std::printf("Task %d completed with %f (on %s)\n", id, value,
                mpp::current_process().name.c_str());
    std::fflush(stdout);
  }
}

// True if lines 2k and 2k+1 belong to the same task, for every k, and every task is there once.
bool adjacent_pairs(const std::vector<std::string>& lines, int tasks) {
  if (lines.size() != 2 * std::size_t(tasks)) return false;
  std::set<int> seen;
  for (std::size_t k = 0; k < lines.size(); k += 2) {
    int a = -1, b = -1;
    if (std::sscanf(lines[k].c_str(), "task %d starts", &a) != 1) return false;
    if (std::sscanf(lines[k + 1].c_str(), "task %d completed", &b) != 1 || a != b) return false;
    seen.insert(a);
  }
  return seen.size() == std::size_t(tasks);
}

int main(int argc, char** argv) {
  mppapp::App app("lock_tasks",
                  "A Manager Lock shared by executor tasks: their reports never interleave");
  int tasks = 10, max_workers = 4;
  double max_seconds = 0.05;
  unsigned seed = 1;
  app.flag("--tasks", tasks, "tasks submitted")->check(CLI::Range(1, 10000));
  app.flag("--max-workers", max_workers, "executor processes")->check(CLI::Range(1, 64));
  app.flag("--max-seconds", max_seconds, "a task sleeps random() times this (the tutorial: 1)")
      ->check(CLI::Range(0.0, 10.0));
  app.flag("--seed", seed, "seed of the tasks' random values");

  return app.run(argc, argv, [&](mppapp::Report& r) {
    mpp::Manager manager;
    mpp::Lock lock = manager.Lock();
    auto log = manager.list<std::string>();
    {
      auto t = r.timer("tasks");
      mpp::ProcessPoolExecutor executor(max_workers);
      std::vector<mpp::Future<void>> futures;
      for (int i = 0; i < tasks; ++i)
        futures.push_back(executor.submit(task, i, max_seconds, seed, lock, log, !r.json()));
      mpp::wait(futures);
      for (auto& f : futures) f.result();  // a task's error would be raised here
    }
    const std::vector<std::string> lines = log.to_vector();
    r.result("lines", lines.size());
    r.check("every task's two lines are adjacent", adjacent_pairs(lines, tasks), "log: {}",
            fmt::join(lines, " | "));
  });
}
