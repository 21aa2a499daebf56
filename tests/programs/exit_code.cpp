// main returns the code given as first argument. With "report" as second argument every
// process prints what mpp::run returned and exits 0 instead: mpirun kills the remaining
// ranks as soon as one exits non-zero, so only this way can a test see all of them.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mpp/mpp.hpp>

int main(int argc, char** argv) {
  const int code = argc > 1 ? std::atoi(argv[1]) : 0;
  const bool report = argc > 2 && std::strcmp(argv[2], "report") == 0;
#ifdef MPP_OTHER_BUILD
  // A different program text, hence a different build id.
  if (argc > 5) std::puts("other build");
#endif
  const int returned = mpp::run(argc, argv, [code] { return code; });
  if (!report) return returned;
  std::printf("mpp::run returned %d\n", returned);
  std::fflush(stdout);  // before exit: mpirun stops forwarding output soon after MPI_Finalize
  return 0;
}
