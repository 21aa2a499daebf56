#include "app.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mpp/mpp.hpp>

namespace mppapp {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Report::Timer::stop() {
  if (report_ == nullptr) return 0.0;
  const double s = seconds_since(start_);
  std::exchange(report_, nullptr)->timing(name_, s);
  return s;
}

Report::Report(std::string app, bool json) : app_(std::move(app)), json_(json) {}

// Flushed at once, so that rank 0's lines and lines that tasks print on workers (forwarded by
// mpirun) appear in the order they happened.
void Report::line(const std::string& text) const {
  if (json_) return;
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Report::add_result(const std::string& name, nlohmann::json value) {
  line(fmt::format("{} = {}", name, value.is_string() ? value.get<std::string>() : value.dump()));
  results_[name] = std::move(value);
}

void Report::add_check(const std::string& name, bool ok, const std::string& detail) {
  if (!ok) ++failed_;
  line(fmt::format("check {}: {}", name, ok ? "OK" : "FAILED: " + detail));
  nlohmann::json entry = {{"name", name}, {"ok", ok}};
  if (!ok) entry["detail"] = detail;
  checks_.push_back(std::move(entry));
}

void Report::timing(const std::string& name, double seconds) {
  line(fmt::format("time {}: {:.3f} s", name, seconds));
  timings_[name] = seconds;
}

void Report::fail(const std::string& error) {
  ++failed_;
  error_ = error;
  // Human output keeps one stream, so that mpirun, which forwards stdout and stderr apart,
  // cannot move the reason after the verdict; with --json stdout is the JSON object alone.
  if (json_) fmt::print(stderr, "{}: {}\n", app_, error);
  line(fmt::format("{}: {}", app_, error));
}

nlohmann::json Report::to_json() const {
  nlohmann::json out = {{"app", app_},
                        {"ranks", mpp::worker_count() + 1},
                        {"workers", mpp::worker_count()},
                        {"flags", flags_},
                        {"results", results_},
                        {"checks", checks_},
                        {"timings_s", timings_},
                        {"ok", ok()}};
  if (!error_.empty()) out["error"] = error_;
  return out;
}

int Report::finish() {
  // A program that checked nothing proved nothing: that is a failure too.
  if (checks_.empty() && error_.empty()) fail("no self-check ran");
  if (json_) {
    fmt::print("{}\n", to_json().dump());
  } else if (ok()) {
    fmt::print("{}: all {} check{} OK\n", app_, checks_.size(), checks_.size() == 1 ? "" : "s");
  } else {
    fmt::print("{}: {} of {} checks FAILED\n", app_, failed_,
               checks_.size() + (error_.empty() ? 0 : 1));
  }
  std::fflush(stdout);
  return ok() ? 0 : 1;
}

App::App(std::string name, std::string description)
    : name_(std::move(name)), cli_(std::move(description), name_) {
  toggle("--json", json_, "print the results as one JSON object on stdout, nothing else");
}

CLI::Option* App::toggle(const std::string& name, bool& var, const std::string& help) {
  CLI::Option* option = cli_.add_flag(name, var, help);
  add_flag_value(option, [&var] { return nlohmann::json(var); });
  return option;
}

void App::add_flag_value(const CLI::Option* option, std::function<nlohmann::json()> value) {
  std::string name = option->get_name();
  name.erase(0, name.find_first_not_of('-'));  // "--numbers" is "numbers" in the JSON
  flags_.emplace_back(std::move(name), std::move(value));
}

nlohmann::json App::flag_values() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : flags_) out[name] = value();
  return out;
}

namespace {
// Flags are parsed before MPI starts, so the rank comes from the launcher's environment:
// under mpirun every rank parses, and only the first may print help or a flag error.
bool first_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* value = std::getenv(var)) return std::atoi(value) == 0;
  return true;
}
}  // namespace

int App::run(int argc, char** argv, std::function<void(Report&)> body) {
  try {
    cli_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = first_rank() ? cli_.exit(e) : e.get_exit_code();
    return code == 0 ? 0 : 2;  // CLI11's codes (105, 109...) say less than the usage code 2
  }
  return mpp::run(argc, argv, [&] {
    Report report(name_, json_);
    report.set_flags(flag_values());
    const int workers = mpp::worker_count();
    report.line(fmt::format("{}: {} ranks (rank 0 runs main, {} worker{})", name_, workers + 1,
                            workers, workers == 1 ? "" : "s"));
    try {
      body(report);
    } catch (const std::exception& e) {
      report.fail(fmt::format("stopped by an exception: {}", e.what()));
    }
    return report.finish();
  });
}

}  // namespace mppapp
