#pragma once
// The most recent write events, in revision order with no gap, bounded by count and by bytes.
// Serves resumes (since=R) and is the queue every subscriber reads from: a subscriber's backlog is
// the ring's range between its position and the head, so its size in events and bytes is known in
// O(1) without a queue per subscriber. Not thread-safe: the hub guards it.
#include <cstdint>
#include <deque>
#include <vector>

#include "livekv/hub/event.hpp"

namespace livekv::hub {

class history_ring {
 public:
  // Keeps at most `max_events` events and (beyond the newest one) `max_bytes` of their footprint.
  // `base_revision`: the revision before the first event that will be pushed.
  history_ring(std::size_t max_events, std::size_t max_bytes, std::uint64_t base_revision);

  // Empties the ring; the next event pushed will be base_revision + 1.
  void reset(std::uint64_t base_revision);

  // `ev->rev` must be head() + 1.
  void push(event_ptr ev);

  std::uint64_t head() const noexcept { return head_; }  // revision of the newest event (or base)
  // The oldest revision held; head() + 1 when empty.
  std::uint64_t first() const noexcept { return head_ + 1 - events_.size(); }
  std::size_t size() const noexcept { return events_.size(); }
  std::size_t bytes() const noexcept { return total_pushed_ - front_start_; }

  // Appends the events with revision > after_rev (which must be >= first() - 1), oldest first, up
  // to `max_events` of them and stopping once `max_bytes` are reached (at least one event).
  void copy_after(std::uint64_t after_rev, std::size_t max_events, std::size_t max_bytes,
                  std::vector<event_ptr>& out) const;
  // Footprint of the events with revision > after_rev (after_rev >= first() - 1).
  std::uint64_t bytes_after(std::uint64_t after_rev) const noexcept;

 private:
  struct slot {
    event_ptr ev;
    std::uint64_t end_offset;  // running total of footprints up to and including this event
  };
  const std::size_t max_events_;
  const std::size_t max_bytes_;
  std::deque<slot> events_;
  std::uint64_t head_;
  // Running totals of footprints: ever pushed, and before the oldest event held. What is held is
  // their difference.
  std::uint64_t total_pushed_ = 0;
  std::uint64_t front_start_ = 0;
};

}  // namespace livekv::hub
