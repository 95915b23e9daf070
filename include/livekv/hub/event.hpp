#pragma once
// One event of the live feed: what subscribers receive for a write commit (or, when someone asks
// for them, a read). Events are immutable once published and shared by pointer between the history
// ring and every subscriber. Their JSON is rendered lazily, once per variant, by whichever
// subscriber needs it first, so a write nobody watches costs one allocation and no formatting.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/store/entry.hpp"
#include "livekv/store/operation.hpp"

namespace livekv::hub {

enum class event_kind : std::uint8_t { put, erase, expire, cas, batch, get, list };
inline constexpr std::size_t event_kind_count = 7;

// The name on the wire: "put", "delete", "expire", "cas", "batch", "get", "list".
std::string_view event_kind_name(event_kind k) noexcept;
constexpr bool is_read(event_kind k) noexcept { return k == event_kind::get || k == event_kind::list; }

struct event_op {
  store::operation::kind what = store::operation::kind::put;  // put, erase or expire
  std::string key;
  store::value_ptr val;             // put: the value written
  std::int64_t expires_at_ms = 0;   // put: the key's deadline, 0 = none
  std::uint64_t version = 0;        // put: the key's version after the write (0 = unknown)
  // The live entry before the op. Known for events published live; events read back from the log
  // on disk do not have it (the log records what was written, not what was overwritten).
  store::value_ptr prev;
  std::uint64_t prev_mod_rev = 0;
};

class event {
 public:
  event_kind kind = event_kind::put;
  std::uint64_t rev = 0;  // the commit's revision; 0 for reads
  std::int64_t ts_ms = 0;
  std::vector<event_op> ops;  // writes: one op, or a batch's writes; reads: empty
  // Reads only: the key (get) or prefix (list), the client's "ip:port", and what it found.
  std::string subject;
  std::string client;
  bool found = false;
  std::size_t count = 0;

  event() = default;
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event();

  // The event as one JSON object, values cut off above `max_value_bytes`; with `with_prev`, the
  // previous values too. Thread-safe; the text lives as long as the event. `max_value_bytes` must be
  // the same on every call (it is the server's --feed-max-value-bytes).
  const std::string& json(bool with_prev, std::size_t max_value_bytes) const;
  // The same, listing only the ops whose index is in `keep` (a batch under a key filter): not
  // cached, built for one subscriber.
  std::string json_subset(bool with_prev, std::size_t max_value_bytes, const std::vector<bool>& keep) const;

  // Memory this event holds on to, for the history ring's byte bound.
  std::size_t footprint() const noexcept;

 private:
  std::string render(bool with_prev, std::size_t max_value_bytes, const std::vector<bool>* keep) const;
  mutable std::atomic<const std::string*> json_[2] = {nullptr, nullptr};
};

using event_ptr = std::shared_ptr<const event>;

// The event of one applied write commit.
event_ptr make_write_event(const store::commit_request& req, const store::commit_outcome& out);

}  // namespace livekv::hub
