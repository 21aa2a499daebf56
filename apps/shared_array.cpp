// shared_array: an Array handed to every pool process once, through the Pool initializer,
// instead of with every task; each task then fills its own slots.
//
// Python original:
//   def init_worker(shared):
//       global array
//       array = shared                        # one per process
//   def task(i):
//       for j in range(i * SLOTS, (i + 1) * SLOTS):
//           array[j] = j * j
//       return current_process().name
//   array = Array('q', TASKS * SLOTS)
//   with Pool(initializer=init_worker, initargs=(array,)) as pool:
//       names = pool.map(task, range(TASKS))
//   assert array[:] == [j * j for j in range(TASKS * SLOTS)]
#include <algorithm>
#include <map>
#include <mpp/mpp.hpp>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "common/app.hpp"

// A pool process is a thread, so the process's "global" is thread_local: one per process.
thread_local std::optional<mpp::Array<long>> array;

void init_worker(mpp::Array<long> shared) { array = shared; }

std::string task(long slots, long i) {
  for (long j = i * slots; j < (i + 1) * slots; ++j) array->set(static_cast<std::size_t>(j), j * j);
  return mpp::current_process().name;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "shared_array",
      "An Array handed to pool processes by the Pool initializer; tasks fill their slots");
  long tasks = 20, slots = 10;
  int pool_size = 0;
  app.flag("--tasks", tasks, "tasks, each filling its own slots")->check(CLI::Range(1L, 100000L));
  app.flag("--slots", slots, "slots per task")->check(CLI::Range(1L, 100000L));
  app.flag("--pool-size", pool_size, "Pool processes (0: one per worker)")
      ->check(CLI::Range(0, 64));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    const std::size_t size = static_cast<std::size_t>(tasks * slots);
    mpp::Array<long> shared(size, -1L);
    const int processes = pool_size > 0 ? pool_size : std::max(1, mpp::worker_count());
    mpp::Pool pool(processes, init_worker, shared);

    std::vector<long> inputs(static_cast<std::size_t>(tasks));
    std::iota(inputs.begin(), inputs.end(), 0L);
    const std::vector<std::string> names =
        r.timed("pool.map", [&] { return pool.map(mpp::partial(task, slots), inputs); });

    std::map<std::string, int> tasks_per_process;
    for (const auto& name : names) ++tasks_per_process[name];
    r.result("tasks_per_process", tasks_per_process);

    const std::vector<long> got = shared.to_vector();
    std::size_t wrong = 0;
    for (std::size_t j = 0; j < size; ++j) wrong += got[j] != long(j * j) ? 1 : 0;
    r.result("last", got.back());
    r.check("every slot holds j * j", wrong == 0, "{} of {} slots wrong", wrong, size);
    r.check("every task ran once", names.size() == inputs.size(), "{} results for {} tasks",
            names.size(), inputs.size());
  });
}
