#include "livekv/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace livekv::metrics {

result<bucket_bounds> bucket_bounds::make(std::vector<double> upper_bounds) {
  if (!upper_bounds.empty() && upper_bounds.back() == std::numeric_limits<double>::infinity()) {
    upper_bounds.pop_back();
  }
  if (upper_bounds.empty()) {
    return status(errc::internal, "histogram needs at least one finite bucket bound");
  }
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    const double b = upper_bounds[i];
    if (!std::isfinite(b)) {
      return status(errc::internal, "histogram bucket bound #" + std::to_string(i) +
                                        " is not finite (only a trailing +Inf is allowed)");
    }
    if (i > 0 && !(upper_bounds[i - 1] < b)) {
      return status(errc::internal, "histogram bucket bounds must be strictly increasing (bound #" +
                                        std::to_string(i) + ")");
    }
  }
  return bucket_bounds(std::make_shared<const std::vector<double>>(std::move(upper_bounds)));
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  std::vector<double> out;
  if (!(start > 0) || !(factor > 1) || !std::isfinite(start) || !std::isfinite(factor)) return out;
  out.reserve(count);
  double b = start;
  for (std::size_t i = 0; i < count; ++i, b *= factor) out.push_back(b);
  return out;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  std::vector<double> out;
  if (!(width > 0) || !std::isfinite(start) || !std::isfinite(width)) return out;
  out.reserve(count);
  // start + i*width rather than repeated addition, so that error does not accumulate.
  for (std::size_t i = 0; i < count; ++i) out.push_back(start + static_cast<double>(i) * width);
  return out;
}

histogram::histogram(const bucket_bounds& bounds)
    : bounds_(bounds),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.values().size() + 1)) {}

void histogram::observe(double v) noexcept {
  const auto bounds = bounds_.values();
  // lower_bound finds the first bound >= v: buckets are "le". Every comparison with NaN is false,
  // so NaN is routed to +Inf explicitly rather than falling into the first bucket.
  const std::size_t i =
      std::isnan(v) ? bounds.size()
                    : static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) -
                                               bounds.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.values().size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

void histogram::collect(sample& out) const {
  const auto bounds = bounds_.values();
  out.buckets.clear();
  out.buckets.reserve(bounds.size() + 1);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    out.buckets.push_back({le, cumulative});
  }
  out.count = cumulative;
  out.sum = sum();
}

}  // namespace livekv::metrics
