// Every rank must run the same executable: tasks name functions by their offset in it.
#include <link.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "runtime_state.hpp"

namespace mpp::detail {
namespace {

constexpr std::size_t id_bytes = 64;
constexpr std::size_t host_bytes = 64;

int read_build_id(dl_phdr_info* info, std::size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* at = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = at + ph.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
      const char* name = at + sizeof(ElfW(Nhdr));
      const char* desc = name + ((note->n_namesz + 3) & ~3u);
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        for (unsigned j = 0; j < note->n_descsz; ++j) {
          char hex[3];
          std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(desc[j]));
          *out += hex;
        }
        return 1;
      }
      at = desc + ((note->n_descsz + 3) & ~3u);
    }
  }
  return 1;  // only the first entry, the executable itself
}

// Without a build id (linked with --build-id=none), hash the file instead.
std::string hash_executable() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::uint64_t h = 1469598103934665603ULL;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      h = (h ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ULL;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "fnv:%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string executable_id() {
  std::string id;
  dl_iterate_phdr(read_build_id, &id);
  return id.empty() ? hash_executable() : id;
}

}  // namespace

/// Collective. Returns an empty string when every rank runs the same executable, else a
/// message naming the first rank and host that differ (on every rank).
std::string find_foreign_executable(MPI_Comm comm, int rank, int size, const std::string& host) {
  std::vector<char> mine(id_bytes + host_bytes, '\0');
  const std::string id = executable_id();
  std::strncpy(mine.data(), id.c_str(), id_bytes - 1);
  std::strncpy(mine.data() + id_bytes, host.c_str(), host_bytes - 1);
  std::vector<char> all(rank == 0 ? mine.size() * static_cast<std::size_t>(size) : 0);
  check(MPI_Gather(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(),
                   static_cast<int>(mine.size()), MPI_CHAR, 0, comm),
        "MPI_Gather");
  char message[512] = {};
  if (rank == 0) {
    for (int r = 1; r < size; ++r) {
      const char* rec = all.data() + mine.size() * static_cast<std::size_t>(r);
      if (std::strncmp(rec, mine.data(), id_bytes) == 0) continue;
      std::snprintf(message, sizeof message,
                    "rank %d on host %s runs a different executable than rank 0 on %s (build id "
                    "%.40s, rank 0 has %.40s): install the same build on every host",
                    r, rec + id_bytes, host.c_str(), rec, mine.data());
      break;
    }
  }
  check(MPI_Bcast(message, sizeof message, MPI_CHAR, 0, comm), "MPI_Bcast");
  return message;
}

}  // namespace mpp::detail
