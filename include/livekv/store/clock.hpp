#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace livekv::store {

// Wall-clock time in Unix milliseconds. Expiry deadlines are absolute wall-clock times so that
// they mean the same thing after a restart (the log records them, not durations). Injectable so
// unit tests control time; implementations must be thread-safe.
class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t now_ms() const noexcept = 0;
};

class system_clock final : public clock {
 public:
  std::int64_t now_ms() const noexcept override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

// A clock that moves only when told to; for tests.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const noexcept override { return now_.load(std::memory_order_acquire); }
  void advance_ms(std::int64_t d) noexcept { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace livekv::store
