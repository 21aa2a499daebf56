#pragma once
// The one output format of every bench program: one JSON line per figure, the schema of the
// peers' scripts (bench/peers), which bench/driver reads:
//   {"workload": ..., "system": ..., "figure": ..., "value": ..., "unit": ...[, extras]}

#include <cstdio>
#include <string>

namespace bench {

/// The "system" of every line this program prints: its --label.
inline std::string label;

/// `s` as the inside of a JSON string: quotes and backslashes escaped, control characters
/// dropped (a label or a host name may hold either).
inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

/// Prints one figure and flushes, so that a driver reading the pipe sees it at once.
/// `extra`: more fields, each written as `, "key": value`.
inline void emit(const char* workload, const std::string& figure, double value, const char* unit,
                 const std::string& extra = "") {
  std::printf(
      "{\"workload\": \"%s\", \"system\": \"%s\", \"figure\": \"%s\", \"value\": %.6g, "
      "\"unit\": \"%s\"%s}\n",
      workload, json_escape(label).c_str(), json_escape(figure).c_str(), value, unit, extra.c_str());
  std::fflush(stdout);
}

}  // namespace bench
