// The raw MPI floor of the queue benchmark's large items, plain MPI-3 with no mpp: rank 1
// MPI_Put's --items-1k items of 1 KiB and --items-64k of 64 KiB into a window on rank 0 of
// --window bytes (1 MiB, the default ring of an mpp::Queue), item i at (i * size) mod window,
// inside one MPI_Win_lock_all epoch, as mpp's heap is:
//   flush each    MPI_Put + MPI_Win_flush per item: the completion one queue put needs (its
//                 bytes must be in place before the stamp that publishes them), so this is the
//                 floor an mpp queue is compared with;
//   stream        MPI_Put per item and one MPI_Win_flush per window's worth of items (puts to
//                 the same bytes must be separated by a flush): what the link does with no
//                 per-item completion, the ceiling no queue reaches.
// The clock runs on rank 1 from a barrier to the last flush. Afterwards rank 0 checks the last
// window's worth of items (first and last word = item number). Ranks not putting wait in a
// barrier that sleeps 20 us between tests, as mpp's idle workers sleep, so that on 3 ranks on
// 2 cores a bystander does not take a core from the ranks measured (and rank 0 still makes
// progress for osc pt2pt across hosts). One JSON line per figure; exits 1 if a check fails.
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../emit.hpp"

namespace {

using Int = std::int64_t;
int rank = 0, nranks = 0;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Every rank computes the figures; rank 0 prints them.
void emit(const std::string& figure, double value, const char* unit, const std::string& extra) {
  if (rank == 0) bench::emit("queue bytes floor", figure, value, unit, extra);
}

void polite_barrier() {
  MPI_Request req = MPI_REQUEST_NULL;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  for (int done = 0;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    usleep(20);
  }
}

enum class Mode { flush_each, stream };

// Rank 1's side: returns the seconds from the barrier to the last flush. MPI may read an
// origin buffer until the flush (osc pt2pt does, across hosts), so each item of a window has
// its own.
double put_items(MPI_Win win, Int size, Int n, Int window, Mode mode) {
  const Int per_window = window / size, words = size / 8;
  std::vector<Int> items(static_cast<std::size_t>(window / 8), 0);
  polite_barrier();
  const double t0 = now_s();
  for (Int i = 0; i < n; ++i) {
    Int* item = items.data() + (i % per_window) * words;
    item[0] = item[words - 1] = i;
    MPI_Put(item, static_cast<int>(size), MPI_BYTE, 0, (i % per_window) * size,
            static_cast<int>(size), MPI_BYTE, win);
    if (mode == Mode::flush_each || (i + 1) % per_window == 0 || i + 1 == n) MPI_Win_flush(0, win);
  }
  return now_s() - t0;
}

// Rank 0's side: the last window's worth of items must hold their numbers.
bool check_items(const Int* base, Int size, Int n, Int window) {
  const Int per_window = window / size, words = size / 8;
  for (Int i = std::max<Int>(0, n - per_window); i < n; ++i) {
    const Int* slot = base + (i % per_window) * words;
    if (slot[0] != i || slot[words - 1] != i) {
      std::fprintf(stderr, "CHECK FAILED: %lld-byte item %lld holds %lld/%lld\n",
                   static_cast<long long>(size), static_cast<long long>(i),
                   static_cast<long long>(slot[0]), static_cast<long long>(slot[words - 1]));
      return false;
    }
  }
  return true;
}

bool measure(Int size, Int n, Int window, Mode mode) {
  Int* base = nullptr;
  MPI_Win win = MPI_WIN_NULL;
  MPI_Win_allocate(rank == 0 ? window : 0, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win);
  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  const double mine = rank == 1 ? put_items(win, size, n, window, mode) : (polite_barrier(), 0.0);
  polite_barrier();  // rank 1 flushed: its bytes are in rank 0's window
  double seconds = 0;
  MPI_Reduce(&mine, &seconds, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  MPI_Win_sync(win);  // rank 0 reads its window with CPU loads: the unified copy
  const bool ok = rank != 0 || check_items(base, size, n, window);
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  const std::string what =
      (mode == Mode::flush_each ? "MPI_Put + MPI_Win_flush per item"
                                : "MPI_Put per item, one MPI_Win_flush per window") +
      std::string(", ") + std::to_string(size / 1024) +
      " KiB items, rank 1 -> rank 0, N=" + std::to_string(n);
  const std::string extra =
      ", \"seconds\": " + std::to_string(seconds) + ", \"window\": " + std::to_string(window);
  emit(what + ": payload bytes/s", static_cast<double>(n * size) / seconds, "bytes/s", extra);
  emit(what + ": items/s", static_cast<double>(n) / seconds, "items/s", extra);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bench::label = "raw MPI";
  CLI::App app{
      "raw MPI floor of the queue benchmark: MPI_Put bandwidth for 1 KiB and 64 KiB items"};
  Int kib1 = 100000, kib64 = 2000, window = Int{1} << 20;
  app.add_option("--items-1k", kib1, "1 KiB items")->check(CLI::PositiveNumber);
  app.add_option("--items-64k", kib64, "64 KiB items")->check(CLI::PositiveNumber);
  app.add_option("--window", window, "bytes of rank 0's window (a multiple of 64 KiB)")
      ->check(CLI::Range(Int{1} << 16, Int{1} << 30));
  app.add_option("--label", bench::label, "system name printed in the results");
  CLI11_PARSE(app, argc, argv);

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  if (nranks < 2) {
    if (rank == 0) std::fprintf(stderr, "bench_queue_raw: needs 2 ranks or more\n");
    MPI_Finalize();
    return 2;
  }
  bool ok = true;
  for (const auto& [size, n] : {std::pair{Int{1024}, kib1}, std::pair{Int{65536}, kib64}})
    for (Mode mode : {Mode::flush_each, Mode::stream})
      ok = measure(size, n, window / size * size, mode) && ok;
  MPI_Finalize();
  return ok ? 0 : 1;
}
