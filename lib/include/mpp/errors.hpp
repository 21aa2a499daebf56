#pragma once
/// @file errors.hpp
/// @brief The mpp error family, named as Python names its exceptions.
///
/// Every error mpp raises derives from mpp::Error (itself a std::runtime_error), so
/// `catch (const mpp::Error&)` sees them all. Messages follow the shape
/// "what failed: why; what to do".

#include <stdexcept>
#include <string>

namespace mpp {

/// @brief Base of every error raised by mpp.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief An argument has the right type but a wrong value (Python's ValueError).
class ValueError : public Error { public: using Error::Error; };
/// @brief An operation is not allowed in the current state (Python's RuntimeError).
class RuntimeError : public Error { public: using Error::Error; };
/// @brief A blocking call with a timeout ran out of time.
class TimeoutError : public Error { public: using Error::Error; };
/// @brief An index is out of range.
class IndexError : public Error { public: using Error::Error; };
/// @brief A key is missing from a mapping.
class KeyError : public Error { public: using Error::Error; };
/// @brief A shared heap is exhausted (raise MPP_HEAP_SIZE).
class MemoryError : public Error { public: using Error::Error; };
/// @brief A Process or Pool is misused.
class ProcessError : public Error { public: using Error::Error; };
/// @brief Queue.get_nowait() on an empty queue.
class Empty : public Error { public: using Error::Error; };
/// @brief Queue.put_nowait() on a full queue.
class Full : public Error { public: using Error::Error; };
/// @brief Connection.recv() on a closed connection with nothing left.
class EOFError : public Error { public: using Error::Error; };
/// @brief A pool lost a worker; pending work cannot complete.
class BrokenPool : public RuntimeError { public: using RuntimeError::RuntimeError; };
/// @brief result() of a cancelled future.
class CancelledError : public Error { public: using Error::Error; };
/// @brief wait() on a broken or reset Barrier.
class BrokenBarrierError : public RuntimeError { public: using RuntimeError::RuntimeError; };

/// @brief An exception raised by a task on another rank, carried back to the caller.
///
/// what() reads "mpp::ValueError on rank 3 (node07): negative input -1" (the demangled type).
class RemoteError : public Error {
 public:
  RemoteError(std::string type_name, std::string message, int rank, std::string host);
  /// Demangled C++ type of the original exception, e.g. "std::invalid_argument".
  const std::string& type_name() const noexcept { return type_name_; }
  /// The original exception's what().
  const std::string& message() const noexcept { return message_; }
  /// Rank the task ran on.
  int rank() const noexcept { return rank_; }
  /// Host name of that rank.
  const std::string& host() const noexcept { return host_; }

 private:
  std::string type_name_, message_;
  int rank_;
  std::string host_;
};

/// @brief An MPI call returned an error code.
class MpiError : public Error {
 public:
  MpiError(std::string routine, int code, int error_class, const std::string& detail);
  /// The MPI routine that failed, e.g. "MPI_Win_allocate".
  const std::string& routine() const noexcept { return routine_; }
  /// The code it returned.
  int code() const noexcept { return code_; }
  /// MPI_Error_class of that code.
  int error_class() const noexcept { return error_class_; }

 private:
  std::string routine_;
  int code_, error_class_;
};

}  // namespace mpp
