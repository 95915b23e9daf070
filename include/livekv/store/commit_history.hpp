#pragma once
// The store's commits as the log keeps them, read back by revision: what the live feed serves a
// resume from once its in-memory history no longer reaches back far enough. The log (wal/) reads
// them; the feed's hub (hub/) asks through this interface and never learns about files.
#include <cstdint>
#include <optional>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/commit_log.hpp"

namespace livekv::store {

// Where a reader stopped, so the next read continues there instead of searching from the start.
// What the numbers mean belongs to the history (the log: a segment and an offset in it); a
// reader only keeps it between calls. Default-constructed: nowhere yet.
struct history_cursor {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
};

class commit_history {
 public:
  // The oldest revision held, or nullopt when nothing is. Thread-safe.
  virtual std::optional<std::uint64_t> first_revision() const = 0;
  // Appends to `out` the commits with revision > after_rev, oldest first, at most `max_commits`
  // and stopping once `max_bytes` of payload were read; updates `cursor`. Stops early (without
  // error) at the end of what is written so far. Thread-safe for distinct cursors.
  // Errors: errc::history_compacted when after_rev + 1 is no longer held; errc::internal when a
  // record is damaged.
  virtual status read_after(std::uint64_t after_rev, std::size_t max_commits, std::size_t max_bytes,
                            history_cursor& cursor, std::vector<replayed_commit>& out) const = 0;

 protected:
  ~commit_history() = default;
};

}  // namespace livekv::store
