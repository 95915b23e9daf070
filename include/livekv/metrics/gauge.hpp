#pragma once
#include <atomic>

#include "livekv/metrics/snapshot.hpp"

namespace livekv::metrics {

// A value that goes up and down (open connections, queue depth). Thread-safe and lock-free:
// set() is a relaxed store, inc()/dec() a relaxed read-modify-write (a compare-exchange loop on
// x86-64, since doubles have no native fetch_add). For values the program already keeps elsewhere
// (key count, store bytes, revision) prefer registry::add_callback_gauge: nothing to keep in step.
class alignas(64) gauge {
 public:
  static constexpr metric_type type = metric_type::gauge;
  struct config {};  // gauges need no per-family configuration

  explicit gauge(config = {}) noexcept {}
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(double n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  // Writes the current value into `out.value`. Used by the owning family at scrape time.
  void collect(sample& out) const noexcept { out.value = value(); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace livekv::metrics
