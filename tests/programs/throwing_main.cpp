// main throws: every rank must end with exit code 1, the exception printed once.
#include <mpp/mpp.hpp>
#include <stdexcept>

int main(int argc, char** argv) {
  return mpp::run(argc, argv, []() -> int { throw std::invalid_argument("boom from main"); });
}
