#pragma once
// What the feed sessions count for /metrics and /status: messages written, and subscribers cut
// off with the events they still had pending. Owned by the server; every session adds to it.
#include <atomic>
#include <cstdint>

namespace livekv::feed {

struct feed_counts {
  std::uint64_t messages_sent = 0;        // to subscribers, all kinds
  std::uint64_t events_dropped = 0;       // pending for a subscriber when it was cut off
  std::uint64_t disconnected_lag = 0;     // cut off for falling behind
  std::uint64_t disconnected_compacted = 0;  // cut off because its resume point was compacted away
};

// Thread-safe: relaxed atomics, since each count is read on its own.
class feed_counters {
 public:
  void count_sent(std::uint64_t n) noexcept { sent_.fetch_add(n, std::memory_order_relaxed); }
  // A subscriber was cut off with `dropped` events pending: for lagging, or (`compacted`) because
  // the history it was reading is gone.
  void count_cut_off(std::uint64_t dropped, bool compacted) noexcept;
  feed_counts counts() const noexcept;

 private:
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> cut_lag_{0};
  std::atomic<std::uint64_t> cut_compacted_{0};
};

}  // namespace livekv::feed
