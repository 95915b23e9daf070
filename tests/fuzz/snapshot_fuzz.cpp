// The snapshot loader on untrusted bytes: load_snapshot into an empty store (as recovery does),
// read_snapshot_end_revision (as --repair and --discard-data do), and, for a snapshot that loads,
// a round trip: the store written out again by write_snapshot must load again.
//
// Input: one mode byte, then the file. Mode bit 0 set: the rest is chunked (fuzz_support.hpp),
// framed here with valid checksums, so mutations reach the header, entries and footer decoders;
// clear: the rest is the file's bytes as they are.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "fuzz_support.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/snapshot.hpp"

namespace {

using namespace livekv;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

std::string fresh_dir(const char* name) {
  const std::string dir = fuzz::scratch_dir() + "/" + name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directory(dir);
  return dir;
}

// Every live key with its entry, in order (a snapshot holds the keys live when it is written).
std::vector<std::string> live_keys(const store::kv_store& kv) {
  std::vector<std::string> out;
  store::list_query q;
  q.limit = 1024;
  for (;;) {
    const auto page = kv.list(q);
    for (const auto& item : page.items)
      out.push_back(item.key + '\0' + std::string(item.e.val->bytes()) + '\0' + std::string(item.e.val->content_type()) +
                    '\0' + std::to_string(item.e.create_revision) + '/' + std::to_string(item.e.mod_revision) + '/' +
                    std::to_string(item.e.version) + '/' + std::to_string(item.e.expires_at_ms));
    if (!page.next) return out;
    q.start_after = *page.next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool framed = (data[0] & 1) != 0;
  const auto rest = fuzz::as_text(data + 1, size - 1);
  const std::string file = framed ? fuzz::frame_chunks(rest) : std::string(rest);
  const std::string dir = fresh_dir("snap");
  const std::string path = dir + "/" + wal::snapshot_name(1);
  fuzz::write_file(path, file);

  (void)wal::read_snapshot_end_revision(path);
  // A clock that stands still, before every deadline a snapshot can name but the lowest: which
  // keys are live does not change during the round trip, and nearly all of them are.
  const store::manual_clock clock(std::numeric_limits<std::int64_t>::min() + 1);
  store::kv_store kv(clock);
  const auto info = wal::load_snapshot(kv, path);
  if (!info) return 0;
  if (kv.revision() != info->end_revision) fail("a loaded snapshot left the store at another revision than its footer's");
  // Its accounting agrees with what it lists (a key loaded twice counts once), once the keys due
  // even now are gone.
  (void)kv.expire_due(std::numeric_limits<std::size_t>::max());
  const auto listed = live_keys(kv);
  if (kv.stats().keys != listed.size()) fail("the store's key count disagrees with its listing after a load");

  // What loaded must write out and load back.
  const std::string again = fresh_dir("again");
  const auto written = wal::write_snapshot(kv, again, info->start_revision, [] { return status::success(); });
  if (!written) fail("a store loaded from a snapshot could not be written back");
  store::kv_store kv2(clock);
  const auto reloaded = wal::load_snapshot(kv2, written->path);
  if (!reloaded) fail("a snapshot written from a loaded store does not load");
  if (live_keys(kv2) != listed) fail("a snapshot round trip changed the live keys or their entries");
  const auto a = kv.stats();
  const auto b = kv2.stats();
  if (a.keys != b.keys || a.keys_with_ttl != b.keys_with_ttl || a.bytes != b.bytes)
    fail("a snapshot round trip changed the store's key, TTL or byte counts");
  return 0;
}
