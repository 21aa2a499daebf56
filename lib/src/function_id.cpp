#include "mpp/detail/function_id.hpp"

#include <link.h>

#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

struct Module {
  std::uint64_t name_hash;
  std::uintptr_t base;   // the loader's bias: code address = base + offset
  std::uintptr_t begin;  // lowest and highest address of its loaded segments
  std::uintptr_t end;
};

// FNV-1a of the file name without its directory, so that the same library installed under
// different prefixes on different hosts still matches.
std::uint64_t hash_name(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : path) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

int add_module(dl_phdr_info* info, std::size_t, void* data) {
  Module m{hash_name(info->dlpi_name ? info->dlpi_name : ""), info->dlpi_addr, UINTPTR_MAX, 0};
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    m.begin = std::min<std::uintptr_t>(m.begin, info->dlpi_addr + ph.p_vaddr);
    m.end = std::max<std::uintptr_t>(m.end, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  if (m.begin < m.end) static_cast<std::vector<Module>*>(data)->push_back(m);
  return 0;
}

struct ModuleTable {
  std::mutex mutex;
  std::vector<Module> modules;

  // A miss rescans once, for libraries loaded with dlopen after the first lookup.
  template <class Match>
  const Module* find(Match&& match) {
    std::lock_guard guard(mutex);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt == 1 || modules.empty()) {
        modules.clear();
        dl_iterate_phdr(add_module, &modules);
      }
      for (const Module& m : modules)
        if (match(m)) return &m;
    }
    return nullptr;
  }
};

ModuleTable& table() {
  static ModuleTable instance;
  return instance;
}

thread_local std::uintptr_t current_task = 0;

}  // namespace

FnId function_id(std::uintptr_t code) {
  thread_local std::uintptr_t last_code = 0;
  thread_local FnId last_id;
  if (code == last_code && code != 0) return last_id;
  const Module* m = table().find([code](const Module& mod) { return code >= mod.begin && code < mod.end; });
  if (m == nullptr) throw Error("cannot ship a function at an address outside every loaded module");
  last_code = code;
  last_id = FnId{m->name_hash, code - m->base};
  return last_id;
}

std::uintptr_t function_address(const FnId& id) {
  thread_local FnId last_id{};
  thread_local std::uintptr_t last_address = 0;
  if (last_address != 0 && id.module == last_id.module && id.offset == last_id.offset) return last_address;
  const Module* m = table().find([&id](const Module& mod) { return mod.name_hash == id.module; });
  if (m == nullptr)
    throw Error("a task names a function in a module that is not loaded on this rank: every "
                "rank must run the same executable with the same libraries");
  last_id = id;
  last_address = m->base + id.offset;
  return last_address;
}

void set_current_task(std::uintptr_t code) noexcept { current_task = code; }

std::uintptr_t current_task_address() noexcept { return current_task; }

}  // namespace mpp::detail
