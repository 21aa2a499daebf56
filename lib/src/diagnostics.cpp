#include "diagnostics.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "runtime_state.hpp"

namespace mpp::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                              std::free);
  return (status == 0 && text) ? std::string(text.get()) : std::string(mangled);
}

std::string describe_current_exception(std::string* type_name) {
  std::string type = "unknown exception";
  std::string what;
  try {
    throw;
  } catch (const std::exception& e) {
    type = demangle(typeid(e).name());
    what = e.what();
  } catch (...) {
    if (const std::type_info* t = abi::__cxa_current_exception_type()) type = demangle(t->name());
  }
  if (type_name != nullptr) *type_name = type;
  return what;
}

std::string symbol_name(std::uintptr_t address) {
  Dl_info info{};
  if (address != 0 && dladdr(reinterpret_cast<void*>(address), &info) != 0 && info.dli_sname)
    return demangle(info.dli_sname);
  char hex[32];
  std::snprintf(hex, sizeof hex, "%#lx", static_cast<unsigned long>(address));
  return hex;
}

namespace {

char crash_prefix[256];

void on_crash(int sig) {
  // Not strictly async-signal-safe (dladdr, demangling): acceptable on a path that ends
  // the process anyway, and the name of the task is what the user needs.
  std::string line = std::string(crash_prefix) + " died of signal " + sigabbrev_np(sig) + " (" +
                     strsignal(sig) + ") while running task " +
                     (current_task_address() ? symbol_name(current_task_address()) : "(none)") + "\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
  // A spawned worker's death is not noticed by its singleton parent: abort the whole job
  // explicitly. Should MPI_Abort itself hang (the crash may be inside MPI), the alarm's
  // default action still ends this process.
  const RuntimeState& rt = runtime();
  if (rt.active) {
    ::alarm(10);
    MPI_Abort(rt.comm, 128 + sig);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void install_crash_handlers() {
  const RuntimeState& rt = runtime();
  std::snprintf(crash_prefix, sizeof crash_prefix, "mpp: rank %d (%s)", rt.rank, rt.host.c_str());
  // A stack overflow leaves no stack to run the handler on: give it its own.
  static std::unique_ptr<char[]> alt_stack(new char[1 << 16]);
  stack_t ss{};
  ss.ss_sp = alt_stack.get();
  ss.ss_size = 1 << 16;
  sigaltstack(&ss, nullptr);
  struct sigaction action {};
  action.sa_handler = on_crash;
  action.sa_flags = SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &action, nullptr);
}

}  // namespace mpp::detail
