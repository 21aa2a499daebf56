// The runtime at a glance: which ranks run where, and every worker adding to one shared
// counter with fetch_add. The total is known in advance, so the program checks itself.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <mpp/mpp.hpp>
#include <string>
#include <vector>

struct Placement {
  int rank;
  std::string host;
  template <class Archive>
  void serialize(Archive& ar, unsigned) { ar & rank & host; }
};

Placement where_am_i() { return {mpp::rank(), mpp::hostname()}; }

long add_to(mpp::Value<long> total, long adds) {
  for (long i = 0; i < adds; ++i) total.fetch_add(1);
  return adds;
}

int main(int argc, char** argv) {
  CLI::App app{"mpp runtime demo: every worker adds 1 to a shared mpp::Value<long>, --adds times"};
  long adds = 10000;
  app.add_option("--adds", adds, "fetch_add calls per worker")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  return mpp::run(argc, argv, [&] {
    const int workers = mpp::worker_count();
    std::printf("mpp runtime demo: %d ranks (rank 0 runs main, %d workers), %d cores here\n",
                workers + 1, workers, mpp::cpu_count());
    std::printf("  rank 0 on %s\n", mpp::hostname().c_str());
    for (int w = 1; w <= workers; ++w) {
      const Placement p = mpp::call_on(w, where_am_i);
      std::printf("  rank %d on %s\n", p.rank, p.host.c_str());
    }

    mpp::Value<long> total(0);
    const int participants = workers == 0 ? 1 : workers;  // rank 0 stands in for no workers
    std::vector<mpp::RemoteCall<long>> calls;
    for (int w = workers == 0 ? 0 : 1; w <= workers; ++w)
      calls.push_back(mpp::submit_to(w, add_to, total, adds));
    for (auto& call : calls) call.get();

    const long expected = participants * adds;
    const long got = total.load();
    std::printf("total = %ld, expected %d x %ld = %ld: %s\n", got, participants, adds, expected,
                got == expected ? "OK" : "WRONG");
    return got == expected ? 0 : 1;
  });
}
