// The raw MPI floor of the sync benchmark (issue "Shared state and synchronisation"), plain
// MPI-3 with no mpp, measured on the same ranks as bench_sync:
//   w4        the W4 workload from ranks 0 and 1 at once, 100000 increments each of an int on
//             rank 0: (a) MPI_Win_lock(EXCLUSIVE) + MPI_Get + flush + MPI_Put + MPI_Win_unlock,
//             (b) MPI_Fetch_and_op(SUM) + MPI_Win_flush inside MPI_Win_lock_all.
//   handover  every rank loops over the locked increment of (a) for --budget seconds; reports
//             the aggregate rate and the hand-over latency (previous holder's last stamp, taken
//             before its unlock, to this holder's first moment inside the epoch).
// One JSON line per figure on stdout, in the peers' schema. Exits 1 if a count is wrong.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../emit.hpp"

namespace {

int rank = 0, nranks = 0;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Every rank computes the figures; rank 0 prints them.
void emit(const char* workload, const std::string& figure, double value, const char* unit,
          const std::string& extra = "") {
  if (rank == 0) bench::emit(workload, figure, value, unit, extra);
}

// Rank 0's window holds what the loops share; the others expose nothing.
struct Window {
  MPI_Win win = MPI_WIN_NULL;
  std::int64_t* base = nullptr;
  explicit Window(int words) {
    MPI_Win_allocate(rank == 0 ? words * 8 : 0, 8, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win);
    if (rank == 0) std::memset(base, 0, static_cast<std::size_t>(words) * 8);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~Window() { MPI_Win_free(&win); }
};

// Both ranks' spans (start, end): the rate counts from the earlier start to the later end.
double span_of(double t0, double t1) {
  double mine[2] = {-t0, t1}, all[2];
  MPI_Allreduce(mine, all, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return all[1] + all[0];
}

bool w4(long iters) {
  bool ok = true;
  const bool active = rank < 2;  // W4 is two processes
  {
    Window w(1);
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_s();
    if (active) {
      for (long i = 0; i < iters; ++i) {
        std::int64_t v = 0;
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, w.win);
        MPI_Get(&v, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, w.win);
        MPI_Win_flush(0, w.win);
        ++v;
        MPI_Put(&v, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, w.win);
        MPI_Win_unlock(0, w.win);
      }
    }
    const double t1 = now_s();
    const double span = span_of(active ? t0 : 1e300, active ? t1 : 0);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0 && *w.base != 2 * iters) {
      std::fprintf(stderr, "CHECK FAILED: locked counter %lld, expected %ld\n",
                   static_cast<long long>(*w.base), 2 * iters);
      ok = false;
    }
    emit("sync W4",
         "2 ranks x " + std::to_string(iters) +
             ": Win_lock(EXCLUSIVE)+Get+flush+Put+Win_unlock on rank 0",
         2.0 * static_cast<double>(iters) / span, "increments/s");
  }
  {
    Window w(1);
    MPI_Win_lock_all(0, w.win);
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_s();
    if (active) {
      const std::int64_t one = 1;
      std::int64_t old = 0;
      for (long i = 0; i < iters; ++i) {
        MPI_Fetch_and_op(&one, &old, MPI_INT64_T, 0, 0, MPI_SUM, w.win);
        MPI_Win_flush(0, w.win);
      }
    }
    const double t1 = now_s();
    const double span = span_of(active ? t0 : 1e300, active ? t1 : 0);
    MPI_Win_unlock_all(w.win);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0 && *w.base != 2 * iters) {
      std::fprintf(stderr, "CHECK FAILED: fetch-and-op counter %lld, expected %ld\n",
                   static_cast<long long>(*w.base), 2 * iters);
      ok = false;
    }
    emit("sync W4", "2 ranks x " + std::to_string(iters) + ": Fetch_and_op(SUM)+flush on rank 0",
         2.0 * static_cast<double>(iters) / span, "increments/s");
  }
  return ok;
}

bool handover(double budget) {
  Window w(3);  // [stamp ns taken before the last unlock][its rank][count]
  std::vector<double> latencies;
  long acquisitions = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now_s(), end = t0 + budget;
  while (now_s() < end) {
    std::int64_t s[3];
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, w.win);
    MPI_Get(s, 3, MPI_INT64_T, 0, 0, 3, MPI_INT64_T, w.win);
    MPI_Win_flush(0, w.win);
    const std::int64_t inside = now_ns();
    if (s[0] != 0 && s[1] != rank) latencies.push_back(static_cast<double>(inside - s[0]) / 1000.0);
    ++acquisitions;
    const std::int64_t next[3] = {now_ns(), rank, s[2] + 1};
    MPI_Put(next, 3, MPI_INT64_T, 0, 0, 3, MPI_INT64_T, w.win);
    MPI_Win_unlock(0, w.win);
  }
  const double span = span_of(t0, now_s());
  long total = 0;
  MPI_Reduce(&acquisitions, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  // Gather the latencies to rank 0 for the median.
  int count = static_cast<int>(latencies.size());
  std::vector<int> counts(static_cast<std::size_t>(nranks)),
      displs(static_cast<std::size_t>(nranks));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<double> all;
  if (rank == 0) {
    int at = 0;
    for (int r = 0; r < nranks; ++r)
      displs[static_cast<std::size_t>(r)] = at, at += counts[static_cast<std::size_t>(r)];
    all.resize(static_cast<std::size_t>(at));
  }
  MPI_Gatherv(latencies.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
              MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  bool ok = true;
  if (rank == 0) {
    if (w.base[2] != total) {
      std::fprintf(stderr, "CHECK FAILED: handover counter %lld, expected %ld\n",
                   static_cast<long long>(w.base[2]), total);
      ok = false;
    }
    std::sort(all.begin(), all.end());
    const std::string where = std::to_string(nranks) + " ranks";
    char extra[96];
    std::snprintf(extra, sizeof extra, ", \"acquisitions\": %ld, \"handovers\": %zu", total,
                  all.size());
    emit("sync handover", where + ": Win_lock(EXCLUSIVE) locked increments, aggregate",
         static_cast<double>(total) / span, "acquisitions/s", extra);
    emit("sync handover", where + ": hand-over latency to another rank, median",
         all.empty() ? 0.0 : all[all.size() / 2], "us", extra);
    emit("sync handover", where + ": hand-over share of acquisitions",
         total == 0 ? 0.0 : static_cast<double>(all.size()) / static_cast<double>(total),
         "fraction", extra);
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bench::label = "raw MPI";
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  std::string workload = "w4";
  long iters = 100000;
  double budget = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--workload")
      workload = argv[i + 1];
    else if (key == "--iters")
      iters = std::atol(argv[i + 1]);
    else if (key == "--budget")
      budget = std::atof(argv[i + 1]);
    else if (key == "--label")
      bench::label = argv[i + 1];
  }
  bool ok = true;
  if (workload == "w4") {
    if (nranks < 2) {
      if (rank == 0) std::fprintf(stderr, "bench_sync_raw: w4 needs 2 ranks\n");
      MPI_Finalize();
      return 2;
    }
    ok = w4(iters);
  } else {
    ok = handover(budget);
  }
  MPI_Finalize();
  return ok ? 0 : 1;
}
