#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

#include "livekv/store/kv_store.hpp"
#include "livekv/util/mutex.hpp"

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

  void stop() LIVEKV_EXCLUDES(mutex_);

 private:
  void run() LIVEKV_EXCLUDES(mutex_);

  kv_store& store_;
  options opts_;
  util::mutex mutex_;  // guards stopping_
  util::condition_variable wake_;  // stop() wakes the sweeper's sleep with it
  bool stopping_ LIVEKV_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace livekv::store
