// The main of every MPI test binary: the recipe of docs/house-style.md section 4.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mpp/detail/session.hpp>
#include <mpp/runtime.hpp>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "mpp_testing.hpp"

namespace mpp::testing {

void on_rank0(const std::function<void()>& body) {
  const int code = detail::run_on_rank0([&] {
    body();
    return 0;
  });
  if (mpp::rank() == 0 && code != 0) ADD_FAILURE() << "the test body threw (message above)";
}

namespace {

// Turns a deadlock into a named failure: a test still running after its deadline ends the
// whole job with exit code 124 (mpirun then stops every rank).
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit) : limit_(limit), thread_([this] { watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  void arm(std::string name) {
    std::lock_guard lock(mutex_);
    name_ = std::move(name);
    deadline_ = std::chrono::steady_clock::now() + limit_;
    armed_ = true;
    changed_.notify_all();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
    changed_.notify_all();
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        changed_.wait(lock);
        continue;
      }
      if (changed_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ && !stop_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        std::fprintf(stderr, "DEADLINE %s: over %lld s on rank %d (%s)\n", name_.c_str(),
                     static_cast<long long>(limit_.count()), mpp::rank(), mpp::hostname().c_str());
        std::fflush(stderr);
        std::_Exit(124);
      }
    }
  }

  std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string name_;
  std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false, stop_ = false;
  std::thread thread_;
};

// Wraps the default printer: only rank 0 prints, and before a test's end is reported the
// failures of every rank are gathered to rank 0 and recorded there.
class RankListener : public ::testing::EmptyTestEventListener {
 public:
  RankListener(::testing::TestEventListener* printer, Watchdog& watchdog)
      : printer_(printer), watchdog_(watchdog) {}
  ~RankListener() override { delete printer_; }

  void OnTestProgramStart(const ::testing::UnitTest& u) override { forward(&Listener::OnTestProgramStart, u); }
  void OnTestIterationStart(const ::testing::UnitTest& u, int i) override {
    if (printer_) printer_->OnTestIterationStart(u, i);
  }
  void OnEnvironmentsSetUpStart(const ::testing::UnitTest& u) override { forward(&Listener::OnEnvironmentsSetUpStart, u); }
  void OnEnvironmentsSetUpEnd(const ::testing::UnitTest& u) override { forward(&Listener::OnEnvironmentsSetUpEnd, u); }
  void OnTestSuiteStart(const ::testing::TestSuite& s) override { forward(&Listener::OnTestSuiteStart, s); }
  void OnTestStart(const ::testing::TestInfo& t) override {
    failures_.str("");
    watchdog_.arm(std::string(t.test_suite_name()) + "." + t.name());
    forward(&Listener::OnTestStart, t);
  }
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (r.failed())
      failures_ << (r.file_name() ? r.file_name() : "?") << ":" << r.line_number() << ": "
                << r.summary() << "\n";
    forward(&Listener::OnTestPartResult, r);
  }
  void OnTestEnd(const ::testing::TestInfo& t) override {
    const auto texts = detail::gather_to_rank0(failures_.str());
    for (std::size_t r = 1; r < texts.size(); ++r)
      if (!texts[r].empty())
        ADD_FAILURE() << "[rank " << r << "/" << texts.size() << "] " << texts[r];
    watchdog_.disarm();
    forward(&Listener::OnTestEnd, t);
  }
  void OnTestSuiteEnd(const ::testing::TestSuite& s) override { forward(&Listener::OnTestSuiteEnd, s); }
  void OnEnvironmentsTearDownStart(const ::testing::UnitTest& u) override { forward(&Listener::OnEnvironmentsTearDownStart, u); }
  void OnEnvironmentsTearDownEnd(const ::testing::UnitTest& u) override { forward(&Listener::OnEnvironmentsTearDownEnd, u); }
  void OnTestIterationEnd(const ::testing::UnitTest& u, int i) override {
    if (printer_) printer_->OnTestIterationEnd(u, i);
  }
  void OnTestProgramEnd(const ::testing::UnitTest& u) override { forward(&Listener::OnTestProgramEnd, u); }

 private:
  using Listener = ::testing::TestEventListener;
  template <class Arg>
  void forward(void (Listener::*method)(const Arg&), const Arg& arg) {
    if (printer_) (printer_->*method)(arg);
  }

  ::testing::TestEventListener* printer_;  // null on ranks other than 0
  Watchdog& watchdog_;
  std::ostringstream failures_;
};

std::chrono::seconds deadline_from_environment() {
  const char* text = std::getenv("MPP_TEST_DEADLINE");
  const long seconds = text ? std::strtol(text, nullptr, 10) : 0;
  return std::chrono::seconds(seconds > 0 ? seconds : 60);
}

}  // namespace
}  // namespace mpp::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (const int failed = mpp::detail::start_runtime(argc, argv)) return failed;
  int result = 1;
  {
    mpp::testing::Watchdog watchdog(mpp::testing::deadline_from_environment());
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    auto* printer = listeners.Release(listeners.default_result_printer());
    if (mpp::rank() != 0) {
      delete printer;
      printer = nullptr;
      GTEST_FLAG_SET(output, "");
    }
    listeners.Append(new mpp::testing::RankListener(printer, watchdog));
    // Every rank must reach the same collective calls, so all ranks agree on the verdict.
    result = mpp::detail::allreduce_max(RUN_ALL_TESTS());
  }
  mpp::detail::stop_runtime();
  return result;
}
