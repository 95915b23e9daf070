#pragma once
// Snapshot files: the whole store at a point, framed like the log (wal/frame.hpp).
//
//   snapshot := frame(snapshot_header) frame(snapshot_entries)* frame(snapshot_footer)
//   header   := format:u8(=1) start_revision:u64 time_ms:u64
//   entries  := count:u32 entry*
//   entry    := key:bytes32 content_type:bytes32 value:bytes32
//               create_revision:u64 mod_revision:u64 version:u64 expires_at_ms:u64
//   footer   := entry_count:u64 end_revision:u64
//
// A snapshot is fuzzy: it is copied while writers go on, so each key is as it was at some moment
// between start_revision and end_revision. It is made consistent at recovery by replaying the log
// from start_revision + 1 (store::state_machine::replay skips what a key already reflects).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "livekv/status.hpp"
#include "livekv/store/state_machine.hpp"

namespace livekv::wal {

struct snapshot_info {
  std::string path;
  std::uint64_t start_revision = 0;
  std::uint64_t end_revision = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::int64_t time_ms = 0;  // when it was started (Unix ms)
};

// Writes dir/snapshot-<start_revision>.snap: copies the store in key order, a chunk at a time under
// its shared lock (writers wait at most one chunk), to a temporary file; fsyncs it; calls
// `before_publish` (which must make the log durable up to now, so that everything the snapshot saw
// is in the log too); renames it into place and fsyncs the directory.
result<snapshot_info> write_snapshot(const store::state_machine& store, const std::string& dir, std::uint64_t start_revision,
                                     const std::function<status()>& before_publish);

// Loads a snapshot file into an empty store and sets its revision to the snapshot's end revision.
// Errors: errc::internal naming the file and the offset of the damage.
result<snapshot_info> load_snapshot(store::state_machine& store, const std::string& path);

// The end revision a snapshot file's footer names, read without loading its entries (recovery
// uses it to learn how far the revisions of a file it sets aside reached); nullopt when no footer
// verifies. Errors: errc::internal when the file cannot be read.
result<std::optional<std::uint64_t>> read_snapshot_end_revision(const std::string& path);

}  // namespace livekv::wal
