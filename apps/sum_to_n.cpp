// sum_to_n: one Process per number n, each computing 1 + 2 + ... + n.
//
// Python original (the first multiprocessing tutorial program):
//   def sum_up_to(n, results, i):
//       results[i] = sum(range(1, n + 1))
//   numbers = [10000000, 100000, 1, 100]
//   results = Array('q', len(numbers))
//   processes = [Process(target=sum_up_to, args=(n, results, i)) for i, n in enumerate(numbers)]
//   for p in processes: p.start()
//   for p in processes: p.join()
//   print(list(results))            # [50000005000000, 5000050000, 1, 5050]
#include <mpp/mpp.hpp>
#include <vector>

#include "common/app.hpp"

// Runs in its own Process on a worker; writes its answer into slot i of the shared array.
void sum_up_to(long n, mpp::Array<long> results, std::size_t i) {
  long total = 0;
  for (long k = 1; k <= n; ++k) total += k;
  results.set(i, total);
}

int main(int argc, char** argv) {
  mppapp::App app("sum_to_n", "One Process per n computing 1+...+n (the first tutorial program)");
  std::vector<long> numbers{10000000, 100000, 1, 100};
  app.flag("--numbers", numbers, "the n to sum up to, one Process each")
      ->check(CLI::Range(0L, 3000000000L));  // n(n+1)/2 must fit in a long

  return app.run(argc, argv, [&](mppapp::Report& r) {
    mpp::Array<long> results(numbers.size(), -1L);
    auto t = r.timer("processes");
    std::vector<mpp::Process> processes;
    for (std::size_t i = 0; i < numbers.size(); ++i)
      processes.emplace_back(sum_up_to, numbers[i], results, i);
    for (auto& p : processes) p.start();
    for (auto& p : processes) p.join();
    t.stop();

    const std::vector<long> sums = results.to_vector();
    for (std::size_t i = 0; i < numbers.size(); ++i)
      r.say("1 + ... + {} = {}", numbers[i], sums[i]);
    r.result("sums", sums);
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      const long n = numbers[i];
      r.check(fmt::format("sum to {} is n(n+1)/2", n), sums[i] == n * (n + 1) / 2,
              "got {}, expected {}", sums[i], n * (n + 1) / 2);
    }
  });
}
