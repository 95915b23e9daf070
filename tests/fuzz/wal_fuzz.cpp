// The write-ahead log's readers on untrusted bytes: the frame reader (torn tail or damage, and
// skipping damage), the commit decoder, the log reader that serves the feed's old history, and
// recovery replaying a segment into a store.
//
// Input: one mode byte, then the file. Mode bit 0 set: the rest is chunked (fuzz_support.hpp),
// framed here with valid checksums, so mutations reach the commit decoder and replay; clear: the
// rest is the segment's bytes as they are (and also given to the commit decoder as a payload).
// Bit 1: recovery runs with --repair (damage in the middle keeps what came before it, sets the
// rest aside and writes a snapshot past it); bit 2: with --discard-data 0 (reads every revision
// the segment names, sets it aside, starts empty).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "fuzz_support.hpp"
#include "livekv/store/kv_store.hpp"
#include <spdlog/spdlog.h>

#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"
#include "livekv/wal/log_reader.hpp"
#include "livekv/wal/recovery.hpp"

namespace {

using namespace livekv;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

bool same(const store::replayed_commit& a, const store::replayed_commit& b) {
  if (a.term != b.term || a.index != b.index || a.revision != b.revision || a.time_ms != b.time_ms ||
      a.origin != b.origin || a.ops.size() != b.ops.size())
    return false;
  for (std::size_t i = 0; i < a.ops.size(); ++i) {
    const auto& x = a.ops[i];
    const auto& y = b.ops[i];
    if (x.what != y.what || x.key != y.key || x.expires_at_ms != y.expires_at_ms || bool(x.val) != bool(y.val)) return false;
    if (x.val && (x.val->bytes() != y.val->bytes() || x.val->content_type() != y.val->content_type())) return false;
  }
  return true;
}

// A payload that decodes must encode back to a record that decodes to the same commit. Returns
// its revision (0: it does not decode).
std::uint64_t decode_and_round_trip(std::string_view payload) {
  const auto c = wal::decode_commit(payload);
  if (!c) return 0;
  store::logged_commit out{c->term, c->index, c->revision, c->time_ms, {}, c->origin};
  for (const auto& op : c->ops) out.ops.push_back({op.what, op.key, op.val ? &*op.val : nullptr, op.expires_at_ms});
  std::string again;
  wal::encode_commit(again, out);
  const auto back = wal::decode_commit(again);
  if (!back || !same(*c, *back)) fail("a decoded commit does not survive encode_commit and decode_commit");
  return c->revision;
}

// Reads the file as recovery does: every frame, and past damage as --discard-data does. Returns
// the highest revision of a commit in it.
std::uint64_t read_frames(std::string_view file) {
  wal::frame_reader reader(file);
  wal::frame f;
  std::uint64_t last = 0;
  std::uint64_t highest = 0;
  for (;;) {
    const auto r = reader.next(f);
    if (r == wal::frame_reader::result::ok) {
      if (f.type == wal::frame_type::commit) highest = std::max(highest, decode_and_round_trip(f.payload));
      continue;
    }
    if (r != wal::frame_reader::result::corrupt) return highest;
    if (reader.frames_after_damage() == 0) fail("corrupt, yet no valid frame after the damage");
    if (reader.offset() < last && last != 0) fail("the frame reader went backwards");
    last = reader.offset();
    reader.skip_damage();
    if (reader.offset() <= last) fail("skip_damage did not move past the damage");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Recovery warns about torn tails and damage on every other input; the fuzzer needs no log.
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool framed = (data[0] & 1) != 0;
  const auto rest = fuzz::as_text(data + 1, size - 1);
  const std::string file = framed ? fuzz::frame_chunks(rest) : std::string(rest);
  if (!framed) (void)decode_and_round_trip(rest);
  const std::uint64_t highest = read_frames(file);

  // The file as the one segment of a data directory.
  const std::string dir = fuzz::scratch_dir() + "/wal";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directory(dir);
  fuzz::write_file(dir + "/" + wal::segment_name(1), file);

  // The live feed's resume from the log: a small batch, then the rest from where it stopped, as
  // the hub reads it. (Each read_after fills a 1 MiB buffer, most of this target's time: two.)
  const wal::log_reader reader(dir);
  wal::log_position pos;
  std::uint64_t after = 0;
  for (const std::size_t max_commits : {2, 1000}) {
    std::vector<store::replayed_commit> out;
    if (!reader.read_after(after, max_commits, 1 << 20, pos, out) || out.empty()) break;
    for (const auto& c : out) {
      if (c.revision <= after) fail("the log reader returned a revision it was asked to skip");
      after = c.revision;
    }
  }

  // Recovery replaying it into an empty store (it may cut a torn tail off the file).
  const store::manual_clock clock;  // a replay must not depend on the time it runs
  store::kv_store kv(clock);
  wal::recovery_options opts;
  opts.repair = (data[0] & 2) != 0;
  if ((data[0] & 4) != 0) opts.discard_epoch = 0;
  const auto report = wal::recover(kv, dir, opts);
  // Revisions never go backwards: once recovery sets records aside, it continues past every
  // revision the file holds.
  if (report && report->highest_dropped_revision != 0 &&
      (kv.revision() <= report->highest_dropped_revision || kv.revision() <= highest))
    fail("recovery set records aside but continues at or before a revision they hold");
  return 0;
}
