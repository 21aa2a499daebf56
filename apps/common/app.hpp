#pragma once
/// @file app.hpp
/// @brief What every tutorial program in apps/ shares, so that each app file shows only its
/// tutorial idea: flags and --help (CLI11), timing, results, self-checks and --json output.
///
/// @code
/// int main(int argc, char** argv) {
///   mppapp::App app("sum_to_n", "One Process per n computing 1+...+n");
///   long n = 100;
///   app.flag("--n", n, "the last number to add");
///   return app.run(argc, argv, [&](mppapp::Report& r) {   // on rank 0, inside mpp::run
///     const long total = r.timed("sum", [&] { return sum_to(n); });
///     r.result("total", total);                              // "total = 5050"
///     r.check("total is n(n+1)/2", total == n * (n + 1) / 2, "got {}", total);
///   });                                                      // exit 1 if any check failed
/// }
/// @endcode
///
/// Human output (rank 0 only): one line per result, timing and check, then a verdict line
/// "<app>: all N checks OK" or "<app>: K of N checks FAILED". With --json, stdout holds one
/// JSON object and nothing else: {app, ranks, workers, flags, results, checks, timings_s, ok}
/// (plus "error" if the body threw). Exit code 0 when every check passed, 1 otherwise, 2 for
/// bad flags.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mppapp {

using Clock = std::chrono::steady_clock;

/// @brief Seconds since `start`.
double seconds_since(Clock::time_point start);

/// @brief Collects what the program found; prints it as it comes, or as JSON at the end.
class Report {
 public:
  /// @brief Measures one section from construction to stop() (or to the end of its scope).
  class Timer {
   public:
    Timer(Report& report, std::string name) : report_(&report), name_(std::move(name)) {}
    Timer(Timer&& other) noexcept
        : report_(std::exchange(other.report_, nullptr)),
          name_(std::move(other.name_)),
          start_(other.start_) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    Timer& operator=(Timer&&) = delete;
    ~Timer() { stop(); }
    /// @brief Records the time once; returns the seconds measured (0 if already stopped).
    double stop();

   private:
    Report* report_;
    std::string name_;
    Clock::time_point start_ = Clock::now();
  };

  Report(std::string app, bool json);

  /// @brief A result: printed as "name = value", stored under results.name in JSON.
  template <class T>
  void result(const std::string& name, const T& value) {
    add_result(name, nlohmann::json(value));
  }
  /// @brief A self-check; a failed one prints "check name: FAILED: detail" and makes the
  /// program exit 1. The detail (fmt syntax) says what was found and what was expected.
  template <class... Args>
  bool check(const std::string& name, bool ok, fmt::format_string<Args...> detail, Args&&... args) {
    add_check(name, ok, ok ? std::string() : fmt::format(detail, std::forward<Args>(args)...));
    return ok;
  }
  bool check(const std::string& name, bool ok) {
    add_check(name, ok, {});
    return ok;
  }
  /// @brief Starts timing a section ("time name: 1.234 s", timings_s.name in JSON).
  [[nodiscard]] Timer timer(std::string name) { return Timer(*this, std::move(name)); }
  /// @brief Runs `body`, records its time under `name`, returns what it returns.
  template <class F>
  auto timed(std::string name, F&& body) {
    Timer t = timer(std::move(name));
    return body();
  }
  /// @brief Records a time measured elsewhere.
  void timing(const std::string& name, double seconds);
  /// @brief A line of narration, as the Python original prints; silent with --json.
  template <class... Args>
  void say(fmt::format_string<Args...> text, Args&&... args) {
    if (!json_) line(fmt::format(text, std::forward<Args>(args)...));
  }
  /// @brief Prints one line and flushes it; nothing with --json.
  void line(const std::string& text) const;

  /// @brief True with --json: tasks that print on workers should stay silent then.
  bool json() const noexcept { return json_; }
  bool ok() const noexcept { return failed_ == 0; }
  /// @brief The JSON object printed with --json.
  nlohmann::json to_json() const;
  /// @brief Prints the verdict line or the JSON object; the exit code (0 or 1).
  int finish();
  /// @brief Records an exception that escaped the body (a failure).
  void fail(const std::string& error);
  /// @brief Flag values, as given or defaulted, for the JSON object.
  void set_flags(nlohmann::json flags) { flags_ = std::move(flags); }

 private:
  void add_result(const std::string& name, nlohmann::json value);
  void add_check(const std::string& name, bool ok, const std::string& detail);

  std::string app_;
  bool json_;
  nlohmann::json flags_ = nlohmann::json::object();
  nlohmann::json results_ = nlohmann::json::object();
  nlohmann::json checks_ = nlohmann::json::array();
  nlohmann::json timings_ = nlohmann::json::object();
  std::string error_;
  int failed_ = 0;
};

/// @brief One tutorial program: its flags, then its body inside mpp::run.
class App {
 public:
  App(std::string name, std::string description);

  /// @brief An option `--name value` bound to `var`, its default shown in --help; returns
  /// CLI11's option to add checks (`->check(CLI::PositiveNumber)`).
  template <class T>
  CLI::Option* flag(const std::string& name, T& var, const std::string& help) {
    CLI::Option* option = cli_.add_option(name, var, help)->capture_default_str();
    add_flag_value(option, [&var] { return nlohmann::json(var); });
    return option;
  }
  /// @brief A switch `--name` (false unless given).
  CLI::Option* toggle(const std::string& name, bool& var, const std::string& help);
  /// @brief The CLI11 app itself, for anything flag() and toggle() do not cover.
  CLI::App& cli() noexcept { return cli_; }

  /// @brief Parses the flags on every rank (--help and bad flags print on rank 0 only and end
  /// the program with 0 or 2 before MPI starts), then runs `body` on rank 0 inside mpp::run
  /// while the other ranks serve tasks. Returns the exit code (same on every rank).
  int run(int argc, char** argv, std::function<void(Report&)> body);

 private:
  void add_flag_value(const CLI::Option* option, std::function<nlohmann::json()> value);
  nlohmann::json flag_values() const;

  std::string name_;
  CLI::App cli_;
  bool json_ = false;
  std::vector<std::pair<std::string, std::function<nlohmann::json()>>> flags_;
};

}  // namespace mppapp
