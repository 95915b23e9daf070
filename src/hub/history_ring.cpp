#include "livekv/hub/history_ring.hpp"

#include <algorithm>

namespace livekv::hub {

history_ring::history_ring(std::size_t max_events, std::size_t max_bytes, std::uint64_t base_revision)
    : max_events_(std::max<std::size_t>(max_events, 1)), max_bytes_(max_bytes), head_(base_revision) {}

void history_ring::reset(std::uint64_t base_revision) {
  events_.clear();
  head_ = base_revision;
  front_start_ = total_pushed_;
}

void history_ring::push(event_ptr ev) {
  const auto n = ev->footprint();
  total_pushed_ += n;
  head_ = ev->rev;
  events_.push_back({std::move(ev), total_pushed_});
  // The oldest event's size comes from the offsets, not its footprint(): it is long out of the
  // cache, and footprint() reads the event, its ops and both values (2.4 % of a PUT's CPU).
  while (events_.size() > max_events_ || (events_.size() > 1 && bytes() > max_bytes_)) {
    front_start_ = events_.front().end_offset;
    events_.pop_front();
  }
}

void history_ring::copy_after(std::uint64_t after_rev, std::size_t max_events, std::size_t max_bytes,
                              std::vector<event_ptr>& out) const {
  if (after_rev >= head_ || after_rev + 1 < first()) return;
  std::size_t i = after_rev + 1 - first();
  const std::uint64_t start_offset = i == 0 ? front_start_ : events_[i - 1].end_offset;
  for (std::size_t n = 0; i < events_.size() && n < max_events; ++i, ++n) {
    if (n > 0 && events_[i].end_offset - start_offset > max_bytes) break;
    out.push_back(events_[i].ev);
  }
}

std::uint64_t history_ring::bytes_after(std::uint64_t after_rev) const noexcept {
  if (after_rev >= head_ || events_.empty()) return 0;
  if (after_rev + 1 <= first()) return bytes();
  return total_pushed_ - events_[after_rev - first()].end_offset;
}

}  // namespace livekv::hub
