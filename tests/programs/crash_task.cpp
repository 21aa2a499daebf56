// A task kills its worker with SIGSEGV: the job must end with a message naming rank, host,
// signal and task, and a non-zero exit code, never hang.
#include <csignal>
#include <cstdio>
#include <mpp/mpp.hpp>

int crash_now(int x) {
  std::raise(SIGSEGV);
  return x;
}

int main(int argc, char** argv) {
  return mpp::run(argc, argv, [] {
    if (mpp::worker_count() == 0) return 3;
    mpp::call_on(mpp::worker_count(), crash_now, 1);
    std::puts("unreachable: the crash must end the job");
    return 0;
  });
}
