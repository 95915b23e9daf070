#include "livekv/feed/feed_counters.hpp"

namespace livekv::feed {

void feed_counters::count_cut_off(std::uint64_t dropped, bool compacted) noexcept {
  dropped_.fetch_add(dropped, std::memory_order_relaxed);
  (compacted ? cut_compacted_ : cut_lag_).fetch_add(1, std::memory_order_relaxed);
}

feed_counts feed_counters::counts() const noexcept {
  return {sent_.load(std::memory_order_relaxed), dropped_.load(std::memory_order_relaxed),
          cut_lag_.load(std::memory_order_relaxed), cut_compacted_.load(std::memory_order_relaxed)};
}

}  // namespace livekv::feed
