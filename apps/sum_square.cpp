// sum_square: the sum of squares below each of 10000 numbers, through a Pool and serially,
// both timed.
//
// Python original:
//   def sum_square(number):
//       s = 0
//       for i in range(number):
//           s += i * i
//       return s
//   numbers = range(10000)
//   start = time.time()
//   with Pool() as p:
//       result = p.map(sum_square, numbers)
//   print(f"Processing {len(numbers)} numbers took {time.time() - start} time using
//   multiprocessing.") start = time.time() result = [sum_square(i) for i in numbers]
//   print(f"Processing {len(numbers)} numbers took {time.time() - start} time using serial
//   processing.")
#include <mpp/mpp.hpp>
#include <vector>

#include "common/app.hpp"

// Runs in a pool process; `volatile` keeps the compiler from replacing the loop by its closed
// form, which would leave nothing to parallelise.
long sum_square(long number) {
  volatile long s = 0;
  for (long i = 0; i < number; ++i) s = s + i * i;
  return s;
}

int main(int argc, char** argv) {
  mppapp::App app("sum_square",
                  "Sum of squares below each of 10000 numbers: Pool.map against a serial loop");
  long count = 10000;
  app.flag("--numbers", count, "how many numbers: 0, 1, ..., numbers-1")
      ->check(CLI::Range(1L, 1000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    std::vector<long> numbers(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) numbers[static_cast<std::size_t>(i)] = i;

    auto t = r.timer("pool");
    mpp::Pool pool;
    const std::vector<long> pooled = pool.map(sum_square, numbers);
    const double pool_s = t.stop();
    r.say("Processing {} numbers took {:.3f} s using a Pool of {} processes.", count, pool_s,
          pool.processes());

    auto ts = r.timer("serial");
    std::vector<long> serial;
    for (long n : numbers) serial.push_back(sum_square(n));
    const double serial_s = ts.stop();
    r.say("Processing {} numbers took {:.3f} s using serial processing.", count, serial_s);

    r.result("last", pooled.back());
    r.result("speed_up", serial_s / pool_s);
    std::size_t wrong = 0;
    for (long n : numbers)
      wrong += pooled[static_cast<std::size_t>(n)] != (n - 1) * n * (2 * n - 1) / 6;
    r.check("each result is (n-1)n(2n-1)/6", wrong == 0, "{} of {} wrong", wrong, count);
    r.check("pool results equal the serial ones, in order", pooled == serial);
  });
}
