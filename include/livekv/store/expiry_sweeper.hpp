#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

#include "livekv/store/kv_store.hpp"

namespace livekv::store {

// Removes keys when their deadline passes, on a thread of its own so that expiry never runs on
// (or stalls) an io thread. It sleeps until the earliest deadline, at most `tick` at a time so a
// newly set earlier deadline is noticed within a tick, and removes at most `batch` keys per hold
// of the commit lock so that writers interleave with a large wave of expiries.
class expiry_sweeper {
 public:
  struct options {
    std::chrono::milliseconds tick{10};
    std::size_t batch = 512;
    std::function<void(std::int64_t lag_ms)> on_expired;  // see kv_store::expire_due
  };

  expiry_sweeper(kv_store& store, options opts);
  ~expiry_sweeper();  // stops and joins
  expiry_sweeper(const expiry_sweeper&) = delete;
  expiry_sweeper& operator=(const expiry_sweeper&) = delete;

  void stop();

 private:
  void run();

  kv_store& store_;
  options opts_;
  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace livekv::store
