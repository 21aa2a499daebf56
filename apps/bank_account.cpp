// bank_account: one process withdraws 1 from a shared balance 10000 times while another
// deposits 1 10000 times, a few rounds over. Without a lock the final balance wanders away from
// the 100 it started at; holding a Lock around each transaction keeps it exact.
//
// Python original (GeeksforGeeks, "Synchronization and Pooling of processes in Python"):
//   def withdraw(balance, lock):
//       for _ in range(10000):
//           lock.acquire()
//           balance.value = balance.value - 1
//           lock.release()
//   def deposit(balance, lock):
//       for _ in range(10000):
//           lock.acquire()
//           balance.value = balance.value + 1
//           lock.release()
//   def perform_transactions():
//       balance = multiprocessing.Value('i', 100)
//       lock = multiprocessing.Lock()
//       p1 = multiprocessing.Process(target=withdraw, args=(balance, lock))
//       p2 = multiprocessing.Process(target=deposit, args=(balance, lock))
//       p1.start(); p2.start(); p1.join(); p2.join()
//       print("Final balance = {}".format(balance.value))
//   for _ in range(10):
//       perform_transactions()
#include <chrono>
#include <mpp/mpp.hpp>
#include <vector>

#include "common/app.hpp"

// Without the lock two read-then-write transactions may overlap, and one of them is lost. Both
// processes first wait for each other: starting a process takes about as long as all the
// transactions, so otherwise they would hardly overlap.
void transact(mpp::Value<long> balance, mpp::Lock lock, mpp::Barrier together, bool use_lock,
              long amount, long times) {
  together.wait();
  for (long i = 0; i < times; ++i) {
    if (use_lock) lock.acquire();
    balance.store(balance.load() + amount);
    if (use_lock) lock.release();
  }
}

void withdraw(mpp::Value<long> balance, mpp::Lock lock, mpp::Barrier together, bool use_lock,
              long times) {
  transact(balance, lock, together, use_lock, -1, times);
}
void deposit(mpp::Value<long> balance, mpp::Lock lock, mpp::Barrier together, bool use_lock,
             long times) {
  transact(balance, lock, together, use_lock, +1, times);
}

long perform_transactions(long opening, long times, bool use_lock) {
  mpp::Value<long> balance(opening);
  mpp::Lock lock;
  mpp::Barrier together(2, nullptr, std::chrono::seconds(60));
  mpp::Process p1(withdraw, balance, lock, together, use_lock, times);
  mpp::Process p2(deposit, balance, lock, together, use_lock, times);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  return balance.load();
}

int main(int argc, char** argv) {
  mppapp::App app("bank_account",
                  "Deposits and withdrawals racing on a shared balance, then under a Lock");
  long opening = 100, times = 10000;
  int rounds = 3;
  app.flag("--opening", opening, "opening balance");
  app.flag("--transactions", times, "deposits (and withdrawals) of 1 per round")
      ->check(CLI::Range(0L, 100000000L));
  app.flag("--rounds", rounds, "times perform_transactions() runs, with and without the lock")
      ->check(CLI::Range(1, 1000));

  return app.run(argc, argv, [&](mppapp::Report& r) {
    for (bool use_lock : {false, true}) {
      r.say("{}", use_lock ? "With a lock:" : "Without a lock:");
      std::vector<long> finals;
      auto t = r.timer(use_lock ? "with lock" : "without lock");
      for (int i = 0; i < rounds; ++i) {
        finals.push_back(perform_transactions(opening, times, use_lock));
        r.say("  Final balance = {}", finals.back());
      }
      t.stop();
      r.result(use_lock ? "with_lock" : "without_lock", finals);
      if (use_lock) {
        r.check("with the lock every round ends at the opening balance",
                finals == std::vector<long>(finals.size(), opening),
                "opening balance {}, final balances {}", opening, nlohmann::json(finals).dump());
      } else {
        bool possible = true;
        for (long f : finals) possible = possible && f >= opening - times && f <= opening + times;
        r.check("without a lock each balance is within the transactions made", possible,
                "final balances {} outside [{}, {}]", nlohmann::json(finals).dump(),
                opening - times, opening + times);
      }
    }
  });
}
