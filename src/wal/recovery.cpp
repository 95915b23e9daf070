#include "livekv/wal/recovery.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "livekv/io/append_file.hpp"
#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/frame.hpp"
#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/snapshot.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

namespace {

struct listing {
  std::map<std::uint64_t, std::string> snapshots;  // start revision → path
  std::map<std::uint64_t, std::string> segments;   // first revision → path
};

listing list_dir(const std::string& dir) {
  listing l;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (auto r = parse_snapshot_name(name)) l.snapshots[*r] = it->path().string();
    if (auto r = parse_segment_name(name)) l.segments[*r] = it->path().string();
  }
  return l;
}

std::string repair_hint(std::uint64_t kept) {
  return " Start with --repair to keep the " + std::to_string(kept) +
         " records before the damage and drop the rest (a backup of the data directory first is wise).";
}

}  // namespace

result<recovery_report> recover(store::kv_store& store, const std::string& dir, bool repair) {
  const auto t0 = std::chrono::steady_clock::now();
  recovery_report rep;
  listing l = list_dir(dir);
  std::uint64_t snapshot_end = 0;

  // Only the newest snapshot is used: the log older ones need was deleted when it was taken.
  if (!l.snapshots.empty()) {
    const std::string& path = l.snapshots.rbegin()->second;
    auto info = load_snapshot(store, path);
    if (!info) {
      return status(errc::internal, info.error().message() +
                                        ". Recovery cannot go on without it; an older snapshot can be used only if the "
                                        "log reaches back to it (move the damaged file aside to try).");
    }
    rep.snapshot_revision = info->start_revision;
    rep.snapshot_entries = info->entries;
    snapshot_end = info->end_revision;
  }

  const std::uint64_t start = rep.snapshot_revision;
  std::uint64_t expected = start + 1;
  bool stop = false;
  for (auto it = l.segments.begin(); it != l.segments.end() && !stop; ++it) {
    const auto next = std::next(it);
    if (next != l.segments.end() && next->first <= start + 1) continue;  // wholly covered by the snapshot
    ++rep.segments;
    const bool last = next == l.segments.end();
    auto data = io::read_whole_file(it->second);
    if (!data) return data.error();
    frame_reader reader(*data);
    frame f;
    for (;;) {
      const auto r = reader.next(f);
      if (r == frame_reader::result::end) break;
      if (r == frame_reader::result::torn_tail && last) {
        rep.truncated_bytes = data->size() - reader.offset();
        rep.warnings.push_back("dropped a torn write of " + std::to_string(rep.truncated_bytes) + " bytes at the end of " +
                               it->second + " (offset " + std::to_string(reader.offset()) + ")");
        if (auto s = io::truncate_file(it->second, reader.offset()); !s) return s;
        break;
      }
      std::string damage;
      std::uint64_t dropped_here = 0;
      std::optional<store::replayed_commit> commit;
      if (r == frame_reader::result::ok) {
        auto c = decode_commit(f.payload);
        if (!c || f.type != frame_type::commit) {
          damage = c ? "unexpected frame type" : c.error().message();
        } else if (c->revision <= start) {
          continue;
        } else if (c->revision != expected) {
          damage = "revision " + std::to_string(c->revision) + " where " + std::to_string(expected) + " was expected";
        } else {
          commit = std::move(*c);
        }
        if (!damage.empty()) dropped_here = 1;  // this frame; those after it are counted below
      } else {
        damage = reader.reason();
        dropped_here = reader.frames_after_damage();
      }
      if (commit) {
        store.replay(*commit);
        ++rep.records_replayed;
        ++expected;
        continue;
      }
      const std::uint64_t at = r == frame_reader::result::ok ? f.offset : reader.offset();
      std::uint64_t dropped = dropped_here;
      // Count what later segments hold, too: repair drops them.
      for (auto later = next; later != l.segments.end(); ++later) {
        auto more = io::read_whole_file(later->second);
        if (!more) continue;
        frame_reader fr(*more);
        frame g;
        while (fr.next(g) == frame_reader::result::ok) ++dropped;
      }
      if (r == frame_reader::result::ok) {
        frame_reader count(std::string_view(*data).substr(f.offset + frame_header_bytes + f.payload.size()));
        frame g;
        while (count.next(g) == frame_reader::result::ok) ++dropped;
      }
      const std::string where = it->second + " at offset " + std::to_string(at) + ": " + damage;
      if (!repair)
        return status(errc::internal, "the log is damaged in " + where + "; " + std::to_string(dropped) +
                                          " records follow the damage." + repair_hint(rep.records_replayed));
      rep.dropped_records = dropped;
      rep.warnings.push_back("--repair: cut the log in " + where + "; dropped " + std::to_string(dropped) + " records");
      if (auto s = io::truncate_file(it->second, at); !s) return s;
      for (auto later = next; later != l.segments.end(); ++later) {
        std::error_code rm;
        fs::remove(later->second, rm);
      }
      stop = true;
      break;
    }
  }
  // A fuzzy snapshot may reflect writes up to its end revision; the log it was published with
  // reaches at least that far. Less means segments are missing: serving would reuse revisions.
  if (expected - 1 < snapshot_end) {
    return status(errc::internal, "the log ends at revision " + std::to_string(expected - 1) +
                                      " but the snapshot reflects writes up to revision " + std::to_string(snapshot_end) +
                                      ": log segments after the snapshot are missing");
  }
  rep.revision = store.revision();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace livekv::wal
