#pragma once
#include <prometheus/client_metric.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace livekv::metrics {

// `count` bounds start, start*factor, start*factor^2, ... (latencies: exponential_buckets(0.0005,
// 2, 16) spans 0.5 ms to ~16 s). Needs start > 0 and factor > 1, both finite; otherwise returns an
// empty list. prometheus-cpp 1.0 has no such helper; its histograms take these bounds too.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

// A histogram for the request path. prometheus::Histogram 1.0 takes a mutex in Observe(), which
// every io thread would contend for on every request; this one is lock-free: observe() is a binary
// search over the bounds plus two relaxed atomic updates. Thread-safe.
//
// An observation v lands in the first bucket whose upper bound is >= v (Prometheus buckets are
// "less than or equal"), or in the implied +Inf bucket. NaN lands in +Inf and makes the sum NaN,
// as in the reference clients. Buckets are stored non-cumulative and made cumulative by collect(),
// where the count is derived from them, so a scrape's _count always equals its +Inf bucket; _sum
// is read separately and may be one racing observation ahead or behind.
class atomic_histogram {
 public:
  // `upper_bounds` must be finite and strictly increasing (exponential_buckets' are); the +Inf
  // bucket is implied and not listed. They are the program's constants, not input.
  explicit atomic_histogram(std::vector<double> upper_bounds);
  atomic_histogram(const atomic_histogram&) = delete;
  atomic_histogram& operator=(const atomic_histogram&) = delete;

  void observe(double v) noexcept;

  // The histogram now, as prometheus-cpp's sample: cumulative buckets ending with +Inf, sum and
  // count, no labels (the collector adds its own). Concurrent observe() calls are fine.
  prometheus::ClientMetric collect() const;

 private:
  const std::vector<double> bounds_;
  // One per finite bound, then the +Inf bucket; each counts only its own range.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

}  // namespace livekv::metrics
