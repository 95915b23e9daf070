#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "livekv/metrics/snapshot.hpp"
#include "livekv/status.hpp"

namespace livekv::metrics {

// The finite upper bounds of a histogram's buckets, validated once and then shared (immutable)
// by every child of the family. The +Inf bucket is always implied and never stored.
class bucket_bounds {
 public:
  // Accepts at least one bound, strictly increasing, none NaN or -Inf; a trailing +Inf is
  // dropped since it is implied. Errors: errc::internal naming the offending bound (bounds are
  // chosen by the program, so a bad list is a programming error reported at registration).
  static result<bucket_bounds> make(std::vector<double> upper_bounds);

  std::span<const double> values() const noexcept { return *bounds_; }

 private:
  explicit bucket_bounds(std::shared_ptr<const std::vector<double>> bounds)
      : bounds_(std::move(bounds)) {}

  std::shared_ptr<const std::vector<double>> bounds_;  // never null
};

// `count` bounds start, start*factor, start*factor^2, ... (latencies: exponential_buckets(0.0005,
// 2, 16) spans 0.5 ms to ~16 s). Needs start > 0, factor > 1, count >= 1; otherwise returns an
// empty list, which bucket_bounds::make (and so registration) rejects.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

// `count` bounds start, start+width, ... Needs width > 0 and count >= 1; otherwise returns an
// empty list, which registration rejects.
std::vector<double> linear_buckets(double start, double width, std::size_t count);

// Counts observations into fixed buckets and keeps their sum. Thread-safe and lock-free:
// observe() is a binary search over the bounds plus two relaxed atomic updates.
//
// An observation v lands in the first bucket whose upper bound is >= v (Prometheus buckets are
// "less than or equal"), or in the implied +Inf bucket. NaN lands in +Inf and makes the sum NaN,
// as in the reference clients. Buckets are stored non-cumulative and made cumulative at scrape
// time, where the count is derived from them, so a scrape's _count always equals its +Inf
// bucket; _sum is read separately and may be one racing observation ahead or behind.
class histogram {
 public:
  using config = bucket_bounds;
  static constexpr metric_type type = metric_type::histogram;

  explicit histogram(const bucket_bounds& bounds);
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  void observe(double v) noexcept;

  std::uint64_t count() const noexcept;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

  // Writes cumulative buckets (ending with +Inf), sum and count into `out`. Used by the owning
  // family at scrape time.
  void collect(sample& out) const;

 private:
  bucket_bounds bounds_;
  // One per finite bound, then the +Inf bucket; each counts only its own range.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

}  // namespace livekv::metrics
