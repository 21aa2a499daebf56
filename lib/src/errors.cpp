#include "mpp/errors.hpp"

#include <utility>

namespace mpp {

RemoteError::RemoteError(std::string type_name, std::string message, int rank, std::string host)
    : Error(type_name + " on rank " + std::to_string(rank) + " (" + host + "): " + message),
      type_name_(std::move(type_name)),
      message_(std::move(message)),
      rank_(rank),
      host_(std::move(host)) {}

MpiError::MpiError(std::string routine, int code, int error_class, const std::string& detail)
    : Error(routine + " failed: " + detail), routine_(std::move(routine)), code_(code),
      error_class_(error_class) {}

}  // namespace mpp
