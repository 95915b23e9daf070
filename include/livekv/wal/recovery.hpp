#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/state_machine.hpp"
#include "livekv/wal/snapshot.hpp"

namespace livekv::wal {

struct recovery_options {
  // --repair: start despite damage in the middle of the log (see recover()).
  bool repair = false;
  // --discard-data EPOCH: set every snapshot and log segment aside and start empty, if the data
  // directory is at this epoch (see recover()).
  std::optional<std::uint64_t> discard_epoch;
};

struct recovery_report {
  std::uint64_t snapshot_revision = 0;  // the snapshot loaded; 0: none
  std::uint64_t snapshot_entries = 0;
  std::uint64_t segments = 0;
  std::uint64_t records_replayed = 0;
  std::uint64_t truncated_bytes = 0;  // torn tail dropped
  std::uint64_t dropped_records = 0;  // with --repair: valid records after the damage
  std::uint64_t revision = 0;         // the store revision after recovery
  std::uint64_t epoch = 0;            // of the data directory, after recovery (wal/epoch_file.hpp)
  // When --repair dropped records or --discard-data set the data aside: the highest revision they
  // held (the store continues past it); 0 otherwise.
  std::uint64_t highest_dropped_revision = 0;
  std::string moved_aside;  // the folder the dropped or discarded files were moved into; empty: none
  std::optional<snapshot_info> snapshot_written;  // then: the snapshot of the store written past them
  double seconds = 0;
  std::vector<std::string> warnings;
};

// Rebuilds `store` (empty) from `dir`: the newest snapshot, then every logged commit after it.
//
// Revisions never go backwards, because clients hold them (ETags, resume points):
//  - A torn write at the end of the last segment is cut off with a warning.
//  - Revisions that no file holds (the log begins after the snapshot, or there is no snapshot and
//    the log does not begin at revision 1: a snapshot is missing) stop recovery with an error
//    naming the missing file and the ways out, with or without `repair`.
//  - Damage anywhere else stops recovery with an error naming the file and offset, unless
//    `repair`: then the store is kept as it was before the damage, every snapshot and segment is
//    moved into a `discarded-<unix time>/` folder of `dir`, and a snapshot of the kept store is
//    written at a revision past every one the dropped records held (so new writes never reuse
//    one), and the epoch is raised. The report says how many records were dropped.
//  - `discard_epoch`, when it is the directory's epoch, moves every snapshot and segment into that
//    folder without reading them into the store, and starts empty in the same way: past every
//    revision they held, epoch raised. Another epoch (the flag left set after it did its work) is
//    ignored with a warning, and recovery proceeds as usual.
// Errors: errc::internal with the sentence an operator needs (what is wrong, where, what to do).
result<recovery_report> recover(store::state_machine& store, const std::string& dir, const recovery_options& opts);

}  // namespace livekv::wal
