#include "livekv/metrics/atomic_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace livekv::metrics {

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  std::vector<double> out;
  if (!(start > 0) || !(factor > 1) || !std::isfinite(start) || !std::isfinite(factor)) return out;
  out.reserve(count);
  double b = start;
  for (std::size_t i = 0; i < count; ++i, b *= factor) out.push_back(b);
  return out;
}

atomic_histogram::atomic_histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void atomic_histogram::observe(double v) noexcept {
  // lower_bound finds the first bound >= v: buckets are "le". Every comparison with NaN is false,
  // so NaN is routed to +Inf explicitly rather than falling into the first bucket.
  const std::size_t i =
      std::isnan(v) ? bounds_.size()
                    : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                               bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

prometheus::ClientMetric atomic_histogram::collect() const {
  prometheus::ClientMetric out;
  auto& h = out.histogram;
  h.bucket.reserve(bounds_.size() + 1);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const double le = i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity();
    h.bucket.push_back({cumulative, le});
  }
  h.sample_count = cumulative;
  h.sample_sum = sum_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace livekv::metrics
