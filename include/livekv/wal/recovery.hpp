#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::wal {

struct recovery_report {
  std::uint64_t snapshot_revision = 0;  // 0: no snapshot
  std::uint64_t snapshot_entries = 0;
  std::uint64_t segments = 0;
  std::uint64_t records_replayed = 0;
  std::uint64_t truncated_bytes = 0;  // torn tail dropped
  std::uint64_t dropped_records = 0;  // with --repair: valid records after the damage
  std::uint64_t revision = 0;         // the store revision after recovery
  double seconds = 0;
  std::vector<std::string> warnings;
};

// Rebuilds `store` (empty) from `dir`: the newest snapshot, then every logged commit after it.
// A torn write at the end of the last segment is cut off with a warning. Damage anywhere else
// stops recovery with an error naming the file and offset, unless `repair`: then the records
// before the damage are kept, the rest is deleted, and the report says how many were dropped.
result<recovery_report> recover(store::kv_store& store, const std::string& dir, bool repair);

}  // namespace livekv::wal
