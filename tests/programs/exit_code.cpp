// main returns the code given as first argument: every rank must exit with it.
#include <cstdio>
#include <cstdlib>
#include <mpp/mpp.hpp>

int main(int argc, char** argv) {
  const int code = argc > 1 ? std::atoi(argv[1]) : 0;
#ifdef MPP_OTHER_BUILD
  // A different program text, hence a different build id.
  if (argc > 5) std::puts("other build");
#endif
  return mpp::run(argc, argv, [code] { return code; });
}
