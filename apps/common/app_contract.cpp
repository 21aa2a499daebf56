// Not a tutorial: provokes each outcome of the shared helper (a failed check, no check, an
// exception, bad flags) so that apps/CMakeLists.txt can test the exit codes and output.
#include <mpp/mpp.hpp>
#include <string>

#include "common/app.hpp"

int main(int argc, char** argv) {
  mppapp::App app("app_contract", "Exercises mppapp::App and mppapp::Report");
  std::string outcome = "pass";
  app.flag("--outcome", outcome, "what the body does")
      ->check(CLI::IsMember({"pass", "fail", "nothing", "throw"}));
  return app.run(argc, argv, [&](mppapp::Report& r) {
    r.result("answer", 42);
    if (outcome == "throw") throw mpp::ValueError("thrown on purpose");
    if (outcome == "nothing") return;
    r.check("the answer", outcome == "pass", "got {}, expected {}", 41, 42);
  });
}
