// exceptions: a task that throws for some inputs. With map the first error (in input order)
// stops the loop over the results; with submit + as_completed each error is handled where it
// arrives and the other results are kept.
//
// Python original:
//   def task(i):
//       if i % 4 == 3:
//           raise ValueError(f'bad input {i}')
//       return i * 10
//   with ProcessPoolExecutor() as executor:
//       try:
//           for result in executor.map(task, range(10)): print(result)
//       except ValueError as e:
//           print('map stopped:', e)
//       futures = [executor.submit(task, i) for i in range(10)]
//       for future in as_completed(futures):
//           try: results.append(future.result())
//           except ValueError as e: print('task failed:', e)
#include <mpp/mpp.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "common/app.hpp"

long task(long fail_every, long i) {
  if (i % fail_every == fail_every - 1) throw mpp::ValueError("bad input " + std::to_string(i));
  return i * 10;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "exceptions",
      "A task that throws: executor.map stops at the first error, as_completed keeps the rest");
  long n = 10, fail_every = 4;
  app.flag("--n", n, "tasks, for inputs 0 to n-1")->check(CLI::Range(1L, 100000L));
  app.flag("--fail-every", fail_every, "input i throws when i % k == k - 1")
      ->check(CLI::Range(1L, 100000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<long> inputs(static_cast<std::size_t>(n));
    std::iota(inputs.begin(), inputs.end(), 0L);
    const auto fails = [&](long i) { return i % fail_every == fail_every - 1; };
    const long first_bad = fail_every - 1 < n ? fail_every - 1 : -1;
    mpp::ProcessPoolExecutor executor;

    // map: results arrive in input order until the first failing input's turn.
    std::vector<long> before_error;
    std::string map_error = "none";
    try {
      for (long result : executor.map(mpp::partial(task, fail_every), inputs))
        before_error.push_back(result);
    } catch (const mpp::RemoteError& e) {
      r.say("map stopped: {}", e.what());
      map_error = e.message();
      r.check("the error is the task's ValueError", e.type_name() == "mpp::ValueError", "got {}",
              e.type_name());
    }
    r.result("map_results", before_error);
    r.result("map_error", map_error);
    const long kept = first_bad < 0 ? n : first_bad;
    r.check("map gave the results before the first error", before_error.size() == std::size_t(kept),
            "{} results, expected {}", before_error.size(), kept);
    r.check("map stopped at the first failing input",
            map_error == (first_bad < 0 ? "none" : "bad input " + std::to_string(first_bad)),
            "error: {}", map_error);

    // submit + as_completed: every future is looked at, failures one by one.
    std::vector<mpp::Future<long>> futures;
    for (long i : inputs) futures.push_back(executor.submit(task, fail_every, i));
    long sum = 0, ok = 0, failed = 0;
    for (auto future : mpp::as_completed(futures)) {
      try {
        sum += future.result();
        ++ok;
      } catch (const mpp::RemoteError& e) {
        r.say("task failed: {}", e.what());
        ++failed;
      }
    }
    long want_sum = 0, want_failed = 0;
    for (long i : inputs) {
      if (fails(i))
        ++want_failed;
      else
        want_sum += i * 10;
    }
    r.result("as_completed_ok", ok);
    r.result("as_completed_failed", failed);
    r.result("as_completed_sum", sum);
    r.check("as_completed: each failing input failed", failed == want_failed,
            "{} failed, expected {}", failed, want_failed);
    r.check("as_completed: the other results were kept", ok == n - want_failed && sum == want_sum,
            "{} results summing to {}, expected {} summing to {}", ok, sum, n - want_failed,
            want_sum);
  });
}
