#pragma once
// Readable names for crash and error reports.

#include <cstdint>
#include <exception>
#include <string>

namespace mpp::detail {

std::string demangle(const char* mangled);
/// Type name and what() of the exception being handled, for messages.
std::string describe_current_exception(std::string* type_name = nullptr);
/// Symbol name of the code at `address`, or a hex address when it has none.
std::string symbol_name(std::uintptr_t address);
/// Defined in function_id.cpp: the task this thread runs.
std::uintptr_t current_task_address() noexcept;
/// SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT print rank, host, signal and task, then
/// end the process, which ends the job (mpirun sees the death).
void install_crash_handlers();

}  // namespace mpp::detail
