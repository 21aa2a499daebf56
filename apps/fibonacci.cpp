// fibonacci: Fibonacci numbers computed two ways on a ProcessPoolExecutor, with map and
// chunksize 2 (each process takes two numbers at a time), checked against each other.
//
// Python original:
//   def fib_recursive(n):
//       return n if n < 2 else fib_recursive(n - 1) + fib_recursive(n - 2)
//   def fib_iterative(n):
//       a, b = 0, 1
//       for _ in range(n): a, b = b, a + b
//       return a
//   numbers = range(MAX + 1)
//   with ProcessPoolExecutor() as executor:
//       recursive = list(executor.map(fib_recursive, numbers, chunksize=2))
//       iterative = list(executor.map(fib_iterative, numbers, chunksize=2))
//   assert recursive == iterative
#include <mpp/mpp.hpp>
#include <numeric>
#include <vector>

#include "common/app.hpp"

long fib_recursive(int n) { return n < 2 ? n : fib_recursive(n - 1) + fib_recursive(n - 2); }

long fib_iterative(int n) {
  long a = 0, b = 1;
  for (int i = 0; i < n; ++i) {
    const long next = a + b;
    a = b;
    b = next;
  }
  return a;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "fibonacci",
      "Fibonacci numbers, recursive and iterative, through executor.map with chunksize 2");
  int max = 30;
  app.flag("--max", max, "compute fib(0) to fib(max)")->check(CLI::Range(0, 45));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<int> numbers(static_cast<std::size_t>(max) + 1);
    std::iota(numbers.begin(), numbers.end(), 0);
    mpp::ProcessPoolExecutor executor;
    const auto run_map = [&](long (*fib)(int)) {
      std::vector<long> out;
      for (long f : executor.map(fib, numbers, std::nullopt, 2)) out.push_back(f);
      return out;
    };
    const std::vector<long> recursive =
        r.timed("recursive", [&] { return run_map(fib_recursive); });
    const std::vector<long> iterative =
        r.timed("iterative", [&] { return run_map(fib_iterative); });

    for (std::size_t n = 0; n < numbers.size(); ++n) r.say("fib({}) = {}", n, recursive[n]);
    r.result("last", recursive.back());
    r.check("recursive and iterative agree", recursive == iterative);
    bool follows = recursive.size() < 2 || (recursive[0] == 0 && recursive[1] == 1);
    for (std::size_t n = 2; n < recursive.size(); ++n)
      follows = follows && recursive[n] == recursive[n - 1] + recursive[n - 2];
    r.check("each is the sum of the two before", follows);
  });
}
