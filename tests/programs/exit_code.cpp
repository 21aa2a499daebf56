// main returns the code given as first argument. With "report FILE" after it, every process
// appends what mpp::run returned to FILE and exits 0 instead: mpirun kills the remaining ranks
// as soon as one exits non-zero, and output printed after MPI_Finalize can be lost, so only
// this way can a test see every process's code.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mpp/mpp.hpp>

int main(int argc, char** argv) {
  const int code = argc > 1 ? std::atoi(argv[1]) : 0;
  const char* report = argc > 3 && std::strcmp(argv[2], "report") == 0 ? argv[3] : nullptr;
#ifdef MPP_OTHER_BUILD
  // A different program text, hence a different build id.
  if (argc > 5) std::puts("other build");
#endif
  const int returned = mpp::run(argc, argv, [code] { return code; });
  if (report == nullptr) return returned;
  if (std::FILE* f = std::fopen(report, "a")) {
    std::fprintf(f, "mpp::run returned %d\n", returned);
    std::fclose(f);
  }
  return 0;
}
