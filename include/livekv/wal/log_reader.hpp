#pragma once
// Reads committed records back from the log segments of a data directory, from any revision on, a
// bounded batch at a time, while the log writer keeps appending and snapshots delete old segments.
// The live feed serves resumes that reach past its in-memory history from here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/commit_history.hpp"

namespace livekv::wal {

// Where a reader stopped: `segment` is the first revision (the name) of the segment it reads, 0 =
// none yet; `offset` that of the next frame to read in it.
using log_position = store::history_cursor;

// The log as the store's commit history (the live feed's resumes past its memory read it).
class log_reader final : public store::commit_history {
 public:
  explicit log_reader(std::string dir) : dir_(std::move(dir)) {}

  // The oldest revision the segments on disk hold (the first segment's name), or nullopt when
  // there is no segment. Thread-safe.
  std::optional<std::uint64_t> first_revision() const override;

  // Appends to `out` the commits with revision > after_rev, oldest first, at most `max_commits`
  // and stopping once `max_bytes` of payload were read; updates `pos`. Stops early (without error)
  // at the end of what is written so far. Thread-safe for distinct `pos`.
  // Errors: errc::history_compacted when the segment holding after_rev + 1 is gone (compacted by a
  // snapshot); errc::internal when a record is damaged.
  status read_after(std::uint64_t after_rev, std::size_t max_commits, std::size_t max_bytes, log_position& pos,
                    std::vector<store::replayed_commit>& out) const override;

 private:
  std::vector<std::uint64_t> segments() const;  // first revisions, ascending
  const std::string dir_;
};

}  // namespace livekv::wal
