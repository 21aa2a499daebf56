// square_cube: shared state and a pool, as in Python's classic tutorial. Two processes run
// add_100 on a shared Value and then on a shared Array, taking the lock for every change:
// 0 becomes 200 and [0, 100, 200] becomes [200, 300, 400]. Then Pool.map and Pool.apply of cube.
//
// Python original (Patrick Loeber, "Multiprocessing in Python"):
//   def add_100(number, lock):
//       for i in range(100):
//           time.sleep(0.01)
//           with lock:
//               number.value += 1
//   def add_100_array(numbers, lock):
//       for i in range(100):
//           time.sleep(0.01)
//           for i in range(len(numbers)):
//               with lock:
//                   numbers[i] += 1
//   lock = Lock()
//   shared_number = Value('i', 0)
//   shared_array = Array('d', [0.0, 100.0, 200.0])
//   ... two Processes each, start, join
//   print(shared_number.value, shared_array[:])   # 200 [200.0, 300.0, 400.0]
//   def cube(number):
//       return number * number * number
//   with Pool() as pool:
//       print(pool.map(cube, range(10)))          # [0, 1, 8, ..., 729]
//       print(pool.apply(cube, (3,)))              # 27
#include <chrono>
#include <mpp/mpp.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "common/app.hpp"

void add_100(mpp::Value<int> number, mpp::Lock lock, int sleep_us) {
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    std::lock_guard guard(lock);
    number.store(number.load() + 1);
  }
}

void add_100_array(mpp::Array<double> numbers, mpp::Lock lock, int sleep_us) {
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    for (std::size_t k = 0; k < numbers.size(); ++k) {
      std::lock_guard guard(lock);
      numbers.set(k, numbers.get(k) + 1);
    }
  }
}

long cube(long number) { return number * number * number; }

// Starts two processes running f(args...) and waits for both.
template <class F, class... Args>
void run_two(F f, const Args&... args) {
  mpp::Process p1(f, args...), p2(f, args...);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
}

int main(int argc, char** argv) {
  mppapp::App app(
      "square_cube",
      "add_100 on a shared Value and Array from two Processes; Pool.map and Pool.apply of cube");
  int sleep_us = 1000;
  long up_to = 10, apply_to = 3;
  app.flag("--sleep-us", sleep_us, "pause before each of add_100's steps (Python: 10000)")
      ->check(CLI::Range(0, 1000000));
  app.flag("--cubes", up_to, "Pool.map(cube, range(cubes))")->check(CLI::Range(1L, 1000000L));
  app.flag("--apply", apply_to, "Pool.apply(cube, apply)")->check(CLI::Range(-1000000L, 1000000L));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    mpp::Lock lock;
    mpp::Value<int> shared_number(0);
    mpp::Array<double> shared_array(std::vector<double>{0.0, 100.0, 200.0});
    r.say("Number at beginning is {}", shared_number.load());
    r.say("Array at beginning is {}", nlohmann::json(shared_array.to_vector()).dump());
    auto t = r.timer("processes");
    run_two(add_100, shared_number, lock, sleep_us);
    run_two(add_100_array, shared_array, lock, sleep_us);
    t.stop();
    const int number = shared_number.load();
    const std::vector<double> array = shared_array.to_vector();
    r.result("number", number);
    r.result("array", array);
    r.check("two add_100 on the Value give 200", number == 200, "got {}", number);
    r.check("two add_100 on the Array give [200, 300, 400]",
            array == std::vector<double>{200.0, 300.0, 400.0}, "got {}",
            nlohmann::json(array).dump());

    auto tp = r.timer("pool");
    mpp::Pool pool;
    std::vector<long> numbers(static_cast<std::size_t>(up_to));
    for (long i = 0; i < up_to; ++i) numbers[static_cast<std::size_t>(i)] = i;
    const std::vector<long> cubes = pool.map(cube, numbers);
    const long applied = pool.apply(cube, apply_to);
    tp.stop();
    r.result("cubes", cubes);
    r.result("apply", applied);
    std::size_t wrong = 0;
    for (long i = 0; i < up_to; ++i) wrong += cubes[static_cast<std::size_t>(i)] != i * i * i;
    r.check("Pool.map(cube) gives i*i*i in input order", wrong == 0, "{} of {} wrong", wrong,
            up_to);
    r.check("Pool.apply(cube) gives the cube", applied == apply_to * apply_to * apply_to, "got {}",
            applied);
  });
}
