#include "livekv/wal/recovery.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>

#include "livekv/io/append_file.hpp"
#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/data_dir.hpp"
#include "livekv/wal/epoch_file.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"
#include "livekv/wal/snapshot.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

namespace {

using listing = data_files;
using segment_iterator = std::map<std::uint64_t, std::string>::const_iterator;

// The way out when nothing can be recovered. The flag names the epoch it discards, so that leaving
// it set (a unit file, an environment variable) cannot discard the next epoch's data too.
std::string discard_option(std::uint64_t epoch) {
  return "start once with --discard-data " + std::to_string(epoch) +
         " (the data directory's epoch) to move every snapshot and log segment into a discarded-<unix time>/ folder "
         "of the data directory (nothing is deleted) and start with an empty store, whose revisions continue past "
         "the highest one those files hold, so that no revision a client holds is given to a new write (the epoch "
         "goes up to " + std::to_string(epoch + 1) + ")";
}

std::string repair_hint(std::uint64_t kept_revision) {
  const std::string keep = kept_revision == 0 ? "start with an empty store (nothing precedes the damage)"
                                              : "keep the store as it was at revision " + std::to_string(kept_revision) +
                                                    ", the last one before the damage";
  return " Start with --repair to " + keep +
         ": the snapshot and every log segment are moved into a discarded-<unix time>/ folder of the data directory "
         "(nothing is deleted), and revisions continue past the highest one the dropped records hold, so none is "
         "handed out twice (the epoch goes up).";
}

// Revisions start+1 .. first-1 are in no file: the snapshot that let the log before `first` be
// deleted (a snapshot at first-1 cuts the log there) is missing. Not damage, so not for --repair.
status missing_history(const std::string& dir, std::uint64_t start, std::uint64_t first, std::uint64_t epoch) {
  const std::string wanted = snapshot_name(first - 1);
  const std::string newest =
      start == 0 ? "there is no snapshot"
                 : "the newest snapshot there, " + snapshot_name(start) + ", is older: it needs the log from revision " +
                       std::to_string(start + 1);
  return status(errc::internal,
                "revisions " + std::to_string(start + 1) + " to " + std::to_string(first - 1) + " are missing from " +
                    dir + ": the log begins at " + segment_name(first) + ", and " + wanted +
                    ", the snapshot that let the log before it be deleted, is not there (" + newest +
                    "). Starting without it would lose every key written before revision " + std::to_string(first) +
                    " and hand those revisions out again. Either put " + wanted + " back into " + dir +
                    " (or restore the whole directory from a backup) and start again, or " + discard_option(epoch) +
                    ". --repair does not apply: nothing is damaged, a file is missing.");
}

// The highest revision the segments [from, to) show was handed out: a segment's name minus one
// (a segment is opened when the revision before its name is the store's), and every commit in
// them that still decodes, damage skipped. Errors: a segment cannot be read.
result<std::uint64_t> highest_in_segments(segment_iterator from, segment_iterator to) {
  std::uint64_t highest = 0;
  for (auto it = from; it != to; ++it) {
    if (it->first > 0) highest = std::max(highest, it->first - 1);
    auto data = io::read_whole_file(it->second);
    if (!data) return data.error();
    frame_reader reader(*data);
    frame f;
    for (;;) {
      const auto r = reader.next(f);
      if (r == frame_reader::result::corrupt) {
        reader.skip_damage();
        continue;
      }
      if (r != frame_reader::result::ok) break;
      if (f.type != frame_type::commit) continue;
      if (auto c = decode_commit(f.payload)) highest = std::max(highest, c->revision);
    }
  }
  return highest;
}

// The highest revision the snapshots name: their start revisions and, where a footer verifies,
// their end revisions. Errors: a snapshot cannot be read.
result<std::uint64_t> highest_in_snapshots(const std::map<std::uint64_t, std::string>& snapshots) {
  std::uint64_t highest = 0;
  for (const auto& [start, path] : snapshots) {
    highest = std::max(highest, start);
    auto end = read_snapshot_end_revision(path);
    if (!end) return end.error();
    if (*end) highest = std::max(highest, **end);
  }
  return highest;
}

// A new folder dir/discarded-<unix time>[-n]/ for the files recovery sets aside.
result<fs::path> make_aside_folder(const std::string& dir) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string base = "discarded-" + std::to_string(now);
  for (int n = 0; n < 1000; ++n) {
    const fs::path p = fs::path(dir) / (n == 0 ? base : base + "-" + std::to_string(n));
    std::error_code ec;
    if (fs::create_directory(p, ec)) return p;
    if (ec) return status(errc::internal, "cannot create " + p.string() + ": " + ec.message());
  }
  return status(errc::internal, "cannot find a free name for " + (fs::path(dir) / base).string());
}

// After recovery dropped data (--repair) or set it all aside (--discard-data): the store, holding
// what is kept, continues at revision highest + 1, so that no revision handed out before, which
// clients may hold as an ETag or a resume point, is given to a new write. The steps are ordered so
// that a crash between any two leaves a directory that recovers without reusing a revision:
//  1. the epoch goes up (a crash now: the old files, under a higher epoch; harmless);
//  2. a snapshot of the kept store at highest + 1 is written; its name is above every old file's,
//     so it replaces none, and from its rename on recovery starts from it (a crash now: the old
//     files are still there, but older than it, so they are ignored, and the next snapshot
//     deletes them as it deletes any obsolete file);
//  3. every old snapshot and segment is renamed into a discarded-<unix time>/ folder, never
//     deleted: the dropped records stay there for whoever wants to dig. The segments before the
//     damage go too: the new snapshot holds what they held, and with them gone, a feed resume
//     from a revision before the jump gets 410 (history compacted) instead of silently skipping
//     the dropped writes.
status continue_past(store::state_machine& store, const std::string& dir, const listing& l, std::uint64_t highest,
                     recovery_report& rep) {
  if (highest >= std::numeric_limits<std::uint64_t>::max() - 1)
    return status(errc::internal, "the files in " + dir + " name revision " + std::to_string(highest) +
                                      ", too close to the largest revision to continue past it");
  const std::uint64_t at = highest + 1;
  if (auto s = write_epoch(dir, rep.epoch + 1); !s) return s;
  ++rep.epoch;
  store.set_revision(at);
  // No log is attached yet: everything the snapshot holds is already on disk.
  auto snap = write_snapshot(store, dir, at, [] { return status::success(); });
  if (!snap) return snap.error();
  auto folder = make_aside_folder(dir);
  if (!folder) return folder.error();
  for (const auto* files : {&l.snapshots, &l.segments}) {
    for (const auto& [rev, path] : *files) {
      const fs::path from(path);
      std::error_code ec;
      fs::rename(from, *folder / from.filename(), ec);
      if (ec) return status(errc::internal, "cannot move " + path + " into " + folder->string() + ": " + ec.message());
    }
  }
  if (auto s = io::fsync_dir(folder->string()); !s) return s;
  if (auto s = io::fsync_dir(dir); !s) return s;
  rep.highest_dropped_revision = highest;
  rep.moved_aside = folder->string();
  rep.snapshot_written = *snap;
  return status::success();
}

// --discard-data: nothing is read into the store; every file goes aside and the store starts
// empty past every revision they held.
status discard(store::state_machine& store, const std::string& dir, const listing& l, recovery_report& rep) {
  if (l.snapshots.empty() && l.segments.empty()) {
    rep.warnings.push_back("--discard-data: " + dir + " holds no snapshot and no log segment; nothing was discarded");
    return status::success();
  }
  auto in_segments = highest_in_segments(l.segments.begin(), l.segments.end());
  if (!in_segments) return in_segments.error();
  auto in_snapshots = highest_in_snapshots(l.snapshots);
  if (!in_snapshots) return in_snapshots.error();
  const std::uint64_t highest = std::max(*in_segments, *in_snapshots);
  if (auto s = continue_past(store, dir, l, highest, rep); !s) return s;
  rep.warnings.push_back("--discard-data: moved " + std::to_string(l.snapshots.size()) + " snapshots and " +
                         std::to_string(l.segments.size()) + " log segments into " + rep.moved_aside +
                         " and started with an empty store at revision " + std::to_string(highest + 1) +
                         ", past the highest revision they held (" + std::to_string(highest) + "); epoch " +
                         std::to_string(rep.epoch) + ". Remove --discard-data now (left set, it does nothing more: "
                         "it names the epoch it discarded).");
  return status::success();
}

// The valid frames at the start of `data` (up to the first damage or the end).
std::uint64_t count_frames(std::string_view data) {
  frame_reader reader(data);
  frame f;
  std::uint64_t n = 0;
  while (reader.next(f) == frame_reader::result::ok) ++n;
  return n;
}

// Loads the newest snapshot, if any, into `store` (the log older ones need was deleted when it was
// taken). Returns its end revision (0: none).
result<std::uint64_t> load_newest_snapshot(store::state_machine& store, const listing& l, recovery_report& rep) {
  if (l.snapshots.empty()) return std::uint64_t{0};
  const std::string& path = l.snapshots.rbegin()->second;
  auto info = load_snapshot(store, path);
  if (!info) {
    return status(errc::internal, info.error().message() +
                                      ". Recovery cannot go on without it: restore it from a backup, or move it "
                                      "aside to try an older snapshot (usable only if the log reaches back to it), or " +
                                      discard_option(rep.epoch) + ".");
  }
  rep.snapshot_revision = info->start_revision;
  rep.snapshot_entries = info->entries;
  return info->end_revision;
}

// Where replaying a segment stopped short: what is wrong, at which offset, and how many valid
// records from there to the segment's end recovery would drop. Empty `what`: no damage.
struct damage_found {
  std::string what;
  std::uint64_t offset = 0;
  std::uint64_t dropped = 0;
};

// Replays the commits of one segment (named by its `first` revision) after `start`, each of which
// must be `expected` (advanced as they are). A torn write at the end of the `last` segment is cut
// off with a warning; other damage is returned. Errors: the file cannot be read or truncated.
result<damage_found> replay_segment(store::state_machine& store, const std::string& path, std::uint64_t first, bool last,
                                    std::uint64_t start, std::uint64_t& expected, recovery_report& rep) {
  auto data = io::read_whole_file(path);
  if (!data) return data.error();
  damage_found d;
  if (first > expected) {
    // A segment is named by its first revision: the segments that held the ones between are
    // gone. Read on, and an empty segment here would let those revisions be handed out again.
    d.what = "revisions " + std::to_string(expected) + " to " + std::to_string(first - 1) +
             " are in no log segment (a segment before this one is missing)";
    d.dropped = count_frames(*data);
    return d;
  }
  frame_reader reader(*data);
  frame f;
  for (;;) {
    const auto r = reader.next(f);
    if (r == frame_reader::result::end) return d;
    if (r == frame_reader::result::torn_tail && last) {
      rep.truncated_bytes = data->size() - reader.offset();
      rep.warnings.push_back("dropped a torn write of " + std::to_string(rep.truncated_bytes) + " bytes at the end of " +
                             path + " (offset " + std::to_string(reader.offset()) + ")");
      if (auto s = io::truncate_file(path, reader.offset()); !s) return s;
      return d;
    }
    if (r != frame_reader::result::ok) {
      d.what = reader.reason();
      d.offset = reader.offset();
      d.dropped = reader.frames_after_damage();
      return d;
    }
    auto c = decode_commit(f.payload);
    if (!c || f.type != frame_type::commit) {
      d.what = c ? "unexpected frame type" : c.error().message();
    } else if (c->revision <= start) {
      continue;
    } else if (c->revision != expected) {
      d.what = "revision " + std::to_string(c->revision) + " where " + std::to_string(expected) + " was expected";
    } else {
      store.replay(*c);
      ++rep.records_replayed;
      ++expected;
      continue;
    }
    // This frame and the valid ones after it.
    d.offset = f.offset;
    d.dropped = 1 + count_frames(std::string_view(*data).substr(f.offset + frame_header_bytes + f.payload.size()));
    return d;
  }
}

// The normal path: the newest snapshot, then the log after it.
status replay(store::state_machine& store, const std::string& dir, const listing& l, bool repair, recovery_report& rep) {
  // Before reading a byte: does the log begin where the newest snapshot (or revision 1) needs it
  // to? Segments that begin at or before start + 1 can serve; the last of them is the first read.
  {
    const std::uint64_t start = l.snapshots.empty() ? 0 : l.snapshots.rbegin()->first;
    if (!l.segments.empty() && l.segments.begin()->first > start + 1)
      return missing_history(dir, start, l.segments.begin()->first, rep.epoch);
  }
  auto snapshot_end = load_newest_snapshot(store, l, rep);
  if (!snapshot_end) return snapshot_end.error();

  const std::uint64_t start = rep.snapshot_revision;
  std::uint64_t expected = start + 1;
  for (auto it = l.segments.begin(); it != l.segments.end(); ++it) {
    const auto next = std::next(it);
    if (next != l.segments.end() && next->first <= start + 1) continue;  // wholly covered by the snapshot
    ++rep.segments;
    auto d = replay_segment(store, it->second, it->first, next == l.segments.end(), start, expected, rep);
    if (!d) return d.error();
    if (d->what.empty()) continue;

    // Count what later segments hold, too: repair drops them.
    for (auto later = next; later != l.segments.end(); ++later) {
      if (auto more = io::read_whole_file(later->second)) d->dropped += count_frames(*more);
    }
    const std::string where = it->second + " at offset " + std::to_string(d->offset) + ": " + d->what;
    const std::uint64_t kept = expected - 1;
    if (!repair)
      return status(errc::internal, "the log is damaged in " + where + "; " + std::to_string(d->dropped) +
                                        " records follow the damage." + repair_hint(kept));
    // The damaged record was a commit at `expected`, and may have been acknowledged; so may every
    // record after it, and every write the snapshot saw (up to its end revision).
    auto highest = highest_in_segments(it, l.segments.end());
    if (!highest) return highest.error();
    const std::uint64_t past = std::max({*highest, expected, *snapshot_end});
    rep.dropped_records = d->dropped;
    if (auto s = continue_past(store, dir, l, past, rep); !s) return s;
    rep.warnings.push_back("--repair: the log is damaged in " + where + "; kept the store as it was at revision " +
                           std::to_string(kept) + " and dropped " + std::to_string(d->dropped) +
                           " records; moved the snapshot and log files into " + rep.moved_aside +
                           "; revisions continue at " + std::to_string(past + 1) +
                           ", past the highest one the dropped records held (" + std::to_string(past) + "); epoch " +
                           std::to_string(rep.epoch));
    return status::success();
  }
  // A fuzzy snapshot may reflect writes up to its end revision; the log it was published with
  // reaches at least that far. Less means segments are missing: serving would reuse revisions.
  if (expected - 1 < *snapshot_end) {
    return status(errc::internal, "the log ends at revision " + std::to_string(expected - 1) +
                                      " but the snapshot reflects writes up to revision " + std::to_string(*snapshot_end) +
                                      ": log segments after the snapshot are missing (from " + segment_name(expected) +
                                      " on). Put them back (or restore the directory from a backup), or " +
                                      discard_option(rep.epoch) + ".");
  }
  return status::success();
}

}  // namespace

result<recovery_report> recover(store::state_machine& store, const std::string& dir, const recovery_options& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  recovery_report rep;
  auto epoch = read_epoch(dir);
  if (!epoch) return epoch.error();
  rep.epoch = *epoch;
  const listing l = list_data_files(dir);
  // --discard-data names the epoch it discards: the same flag left set discards nothing more.
  const bool discarding = opts.discard_epoch && *opts.discard_epoch == rep.epoch;
  if (opts.discard_epoch && !discarding)
    rep.warnings.push_back("--discard-data " + std::to_string(*opts.discard_epoch) + " ignored: the data directory is at epoch " +
                           std::to_string(rep.epoch) + " (its data was discarded already, or the flag names another "
                           "epoch); remove the flag");
  if (auto s = discarding ? discard(store, dir, l, rep) : replay(store, dir, l, opts.repair, rep); !s) return s;
  rep.revision = store.revision();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace livekv::wal
