// count_numbers: map-reduce over files. Each file holds numbers, one per line; a pool task
// counts how often each number occurs in one file (map), and main adds the counts up (reduce).
// A serial count of the same files checks the result. Without --dir the program first writes
// 20 files of random numbers from --seed into a fresh directory and removes it at the end.
//
// Python original:
//   def count_numbers(path):
//       counts = Counter()
//       with open(path) as f:
//           for line in f:
//               counts[int(line)] += 1
//       return counts
//   files = sorted(glob.glob('numbers/*.txt'))
//   with Pool() as pool:
//       per_file = pool.map(count_numbers, files)
//   total = sum(per_file, Counter())
//   print(total.most_common(3))
//
// Every rank reads the files, so on a cluster they must be on a shared file system: give such
// a directory with --dir (files to count) or --work-dir (where to write the random ones).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mpp/mpp.hpp>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "common/app.hpp"

namespace fs = std::filesystem;
using Counter = std::map<long, long>;  // number -> how often

Counter count_numbers(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw mpp::ValueError("count_numbers: cannot open " + path + ": check it exists on every host");
  Counter counts;
  long number = 0, line = 0;
  while (in >> number) {
    ++counts[number];
    ++line;
  }
  if (!in.eof())
    throw mpp::ValueError("count_numbers: " + path + ": entry " + std::to_string(line + 1) +
                          " is not an integer; the files must hold one integer per line");
  return counts;
}

// Writes `files` files of `per_file` numbers in [0, largest] into a new directory under `parent`.
std::vector<std::string> write_files(const fs::path& parent, int files, long per_file, long largest,
                                     std::uint64_t seed) {
  std::string name = (parent / "count_numbers-XXXXXX").string();
  if (mkdtemp(name.data()) == nullptr)
    throw mpp::ValueError("count_numbers: cannot create a directory in " + parent.string());
  std::vector<std::string> paths;
  for (int f = 0; f < files; ++f) {
    std::mt19937_64 random(seed + static_cast<std::uint64_t>(f));
    std::uniform_int_distribution<long> number(0, largest);
    paths.push_back(fmt::format("{}/numbers_{:02}.txt", name, f));
    std::ofstream out(paths.back());
    for (long i = 0; i < per_file; ++i) out << number(random) << '\n';
    if (!out) throw mpp::ValueError("count_numbers: cannot write " + paths.back());
  }
  return paths;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  if (paths.empty())
    throw mpp::ValueError("count_numbers: no files in " + dir.string() +
                          ": give a directory of number files");
  return paths;
}

// The directory of written files, removed however the run ends.
struct Scratch {
  fs::path dir;
  ~Scratch() {
    std::error_code ignored;
    if (!dir.empty()) fs::remove_all(dir, ignored);
  }
};

void add(Counter& total, const Counter& part) {
  for (const auto& [number, count] : part) total[number] += count;
}

long size_of(const Counter& c) {
  long n = 0;
  for (const auto& [number, count] : c) n += count;
  return n;
}

int main(int argc, char** argv) {
  mppapp::App app(
      "count_numbers",
      "Map-reduce: numbers counted per file by a Pool, merged, checked against a serial count");
  int files = 20;
  long per_file = 20000, largest = 99;
  std::uint64_t seed = 7;
  std::string dir, work_dir = fs::temp_directory_path().string();
  app.flag("--files", files, "files of random numbers to write")->check(CLI::Range(1, 100000));
  app.flag("--numbers", per_file, "numbers per written file")->check(CLI::Range(0L, 100000000L));
  app.flag("--largest", largest, "written numbers are 0..largest")
      ->check(CLI::Range(0L, 1000000000L));
  app.flag("--seed", seed, "seed of the written numbers (file i uses seed + i)");
  app.flag("--dir", dir, "count the files in this directory instead of writing random ones")
      ->check(CLI::ExistingDirectory);
  app.flag("--work-dir", work_dir, "where to write the random files (shared by every host)")
      ->check(CLI::ExistingDirectory);

  return app.run(argc, argv, [&](mppapp::Report& r) {
    const bool written = dir.empty();
    const std::vector<std::string> paths =
        written ? r.timed("write",
                          [&] { return write_files(work_dir, files, per_file, largest, seed); })
                : files_in(dir);
    const Scratch scratch{written ? fs::path(paths[0]).parent_path() : fs::path()};
    r.say("counting {} files in {}", paths.size(), fs::path(paths[0]).parent_path().string());

    auto t = r.timer("pool");
    mpp::Pool pool;
    const std::vector<Counter> per_file_counts = pool.map(count_numbers, paths);
    Counter total;
    for (const Counter& c : per_file_counts) add(total, c);
    t.stop();

    auto ts = r.timer("serial");
    Counter serial;
    for (const std::string& path : paths) add(serial, count_numbers(path));
    ts.stop();

    std::vector<std::pair<long, long>> common(total.begin(), total.end());
    std::stable_sort(common.begin(), common.end(),
                     [](auto a, auto b) { return a.second > b.second; });
    common.resize(std::min<std::size_t>(common.size(), 3));
    r.say("most common: {}", nlohmann::json(common).dump());
    r.result("files", paths.size());
    r.result("numbers", size_of(total));
    r.result("distinct", total.size());
    r.result("most_common", common);
    r.check("the merged counts equal a serial count", total == serial);
    if (written)
      r.check("every written number was counted", size_of(total) == files * per_file,
              "counted {}, wrote {}", size_of(total), files * per_file);
  });
}
