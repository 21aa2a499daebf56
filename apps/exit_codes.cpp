// exit_codes: a Process's exit code: none before it starts or while it runs; then 0 when its
// function returns, the code given to mpp::exit (Python's sys.exit), or 1 when an exception
// escapes it (which is printed, as Python prints the traceback).
//
// Python original (superfastpython, "Process exit codes in Python"):
//   def task():
//       sleep(1)
//   def task_exit():
//       sys.exit(3)
//   def task_raise():
//       raise Exception('Something bad happened')
//   process = Process(target=task)
//   print(process.exitcode)          # None: not started
//   process.start()
//   print(process.exitcode)          # None: still running
//   process.join()
//   print(process.exitcode)          # 0
//   ... the same for task_exit (3) and task_raise (1)
#include <chrono>
#include <mpp/mpp.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/app.hpp"

using namespace std::chrono_literals;

// Runs until main says go, so that main can look at it while it is certainly running.
void task(mpp::Event go) { go.wait(60s); }

void task_exit(int code) { mpp::exit(code); }

void task_raise() { throw std::runtime_error("Something bad happened"); }

std::string shown(const std::optional<int>& code) { return code ? std::to_string(*code) : "None"; }

int main(int argc, char** argv) {
  mppapp::App app("exit_codes",
                  "Exit codes of Processes that return, call mpp::exit(code) or throw");
  int code = 3;
  app.flag("--code", code, "the code task_exit passes to mpp::exit")->check(CLI::Range(0, 255));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    mpp::Event go;
    mpp::Process normal(task, go);
    const std::optional<int> before = normal.exitcode();
    r.say("{}: exitcode before start: {}", normal.name(), shown(before));
    normal.start();
    const std::optional<int> running = normal.exitcode();
    const bool alive = normal.is_alive();
    r.say("{}: exitcode while running: {} (is_alive: {})", normal.name(), shown(running), alive);
    go.set();

    mpp::Process exiting(task_exit, code), raising(task_raise);
    exiting.start();
    raising.start();
    std::vector<mpp::Process*> processes{&normal, &exiting, &raising};
    std::vector<int> codes;
    for (mpp::Process* p : processes) {
      const bool ended = p->join(60s);
      codes.push_back(ended ? p->exitcode().value_or(-1) : -1);
      r.say("{}: exitcode after join: {}", p->name(), shown(p->exitcode()));
    }

    r.result("exitcodes", codes);
    r.check("no exit code before start", !before, "got {}", shown(before));
    r.check("no exit code while running", !running && alive, "exitcode {}, is_alive {}",
            shown(running), alive);
    r.check("returned: 0, mpp::exit: its code, exception: 1", codes == std::vector<int>{0, code, 1},
            "got {}", nlohmann::json(codes).dump());
    r.check("none alive after join",
            !normal.is_alive() && !exiting.is_alive() && !raising.is_alive());
  });
}
