// main returns the code given as first argument. With "report FILE N" after it, every process
// appends what mpp::run returned to FILE and exits 0 instead: mpirun kills the remaining ranks
// as soon as one exits non-zero, and output printed after MPI_Finalize can be lost, so only
// this way can a test see every process's code. Rank 0 then waits (up to 10 s) until FILE has
// N lines: when a singleton exits, Open MPI ends the workers it spawned, even those that have
// not yet written their line.
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mpp/mpp.hpp>
#include <string>
#include <thread>

namespace {
long lines_in(const char* path) {
  std::ifstream in(path);
  long n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}
}  // namespace

int main(int argc, char** argv) {
  const int code = argc > 1 ? std::atoi(argv[1]) : 0;
  const char* report = argc > 4 && std::strcmp(argv[2], "report") == 0 ? argv[3] : nullptr;
  const long processes = report ? std::atol(argv[4]) : 0;
#ifdef MPP_OTHER_BUILD
  // A different program text, hence a different build id.
  if (argc > 5) std::puts("other build");
#endif
  bool rank0 = false;  // main runs on rank 0 only
  const int returned = mpp::run(argc, argv, [code, &rank0] {
    rank0 = true;
    return code;
  });
  if (report == nullptr) return returned;
  if (std::FILE* f = std::fopen(report, "a")) {
    std::fprintf(f, "mpp::run returned %d\n", returned);
    std::fclose(f);
  }
  for (int i = 0; rank0 && i < 1000 && lines_in(report) < processes; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return 0;
}
