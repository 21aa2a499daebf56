// Every MPP_* environment variable is read here, so that the README's table and the code
// cannot drift apart silently.
#include <cctype>
#include <cstdlib>
#include <string>

#include "mpp/errors.hpp"
#include "runtime_state.hpp"

namespace mpp::detail {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

[[noreturn]] void invalid(const char* name, const std::string& value, const char* accepted) {
  throw ValueError(std::string("invalid ") + name + "='" + value + "': accepted values are " +
                   accepted);
}

long long parse_integer(const char* name, const std::string& text, long long low, long long high,
                        const char* accepted) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    invalid(name, text, accepted);
  }
  if (used != text.size() || value < low || value > high) invalid(name, text, accepted);
  return value;
}

std::size_t parse_size(const char* name, std::string text) {
  constexpr const char* accepted = "a byte count with an optional K, M or G suffix, from 1M "
                                   "to 64G (for example 64M)";
  std::size_t shift = 0;
  if (!text.empty()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: break;
    }
    if (shift != 0) text.pop_back();
    if (!text.empty() && std::toupper(static_cast<unsigned char>(text.back())) == 'I') text.pop_back();
  }
  const auto value = static_cast<std::size_t>(
      parse_integer(name, text, 0, (1LL << 36) >> shift, accepted)) << shift;
  if (value < (std::size_t{1} << 20)) invalid(name, text, accepted);
  return value;
}

}  // namespace

Config read_config() {
  Config config;
  if (const char* v = env("MPP_WORKERS"))
    config.workers = static_cast<int>(parse_integer("MPP_WORKERS", v, 0, 4096,
                                                    "an integer from 0 to 4096"));
  if (const char* v = env("MPP_HEAP_SIZE")) config.heap_size = parse_size("MPP_HEAP_SIZE", v);
  if (const char* v = env("MPP_MANAGER_ARENA"))
    config.manager_arena = parse_size("MPP_MANAGER_ARENA", v);
  if (const char* v = env("MPP_LOG_LEVEL")) {
    const std::string s = v;
    if (s == "error") config.log_level = LogLevel::error;
    else if (s == "warn") config.log_level = LogLevel::warn;
    else if (s == "info") config.log_level = LogLevel::info;
    else if (s == "debug") config.log_level = LogLevel::debug;
    else invalid("MPP_LOG_LEVEL", s, "error, warn, info, debug");
  }
  if (const char* v = env("MPP_PROGRESS")) {
    const std::string s = v;
    if (s == "auto") config.progress = ProgressMode::automatic;
    else if (s == "on") config.progress = ProgressMode::on;
    else if (s == "off") config.progress = ProgressMode::off;
    else invalid("MPP_PROGRESS", s, "auto, on, off");
  }
  if (const char* v = env("MPP_PROGRESS_INTERVAL_US"))
    config.progress_interval = std::chrono::microseconds(parse_integer(
        "MPP_PROGRESS_INTERVAL_US", v, 1, 1000000, "an integer from 1 to 1000000 (microseconds)"));
  if (const char* v = env("MPP_CHECK_HANDLES")) {
    const std::string s = v;
    if (s == "0" || s == "1") config.check_handles = (s == "1");
    else invalid("MPP_CHECK_HANDLES", s, "0, 1");
  }
  if (const char* v = env("MPP_SHARED_HEAP")) {
    const std::string s = v;
    if (s == "auto") config.shared_heap = SharedHeapMode::automatic;
    else if (s == "on") config.shared_heap = SharedHeapMode::on;
    else if (s == "off") config.shared_heap = SharedHeapMode::off;
    else invalid("MPP_SHARED_HEAP", s, "auto, on, off");
  }
  if (const char* v = env("MPP_TUNE_MALLOC")) {
    const std::string s = v;
    if (s == "0" || s == "1") config.tune_malloc = (s == "1");
    else invalid("MPP_TUNE_MALLOC", s, "0, 1");
  }
  return config;
}

}  // namespace mpp::detail
