// Writes the binary seeds of the wal and snapshot targets into CORPUS_DIR (tests/fuzz/corpus):
// a log segment and a snapshot written by the real storage code from a few commits of every
// kind, each raw and chunked (see fuzz_support.hpp), and damaged copies (a torn tail, a flipped
// byte in the middle, a snapshot without its footer). Rerun after a format change:
//   cmake --build --preset clang-fuzz --target fuzz_make_seeds
//   build/clang-fuzz/fuzz_make_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>

#include "fuzz_support.hpp"
#include "livekv/io/append_file.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/data_dir.hpp"
#include "livekv/wal/frame.hpp"
#include "livekv/wal/snapshot.hpp"
#include "livekv/wal/storage.hpp"

namespace {

using namespace livekv;
namespace fs = std::filesystem;

int die(const std::string& what) {
  std::fprintf(stderr, "fuzz_make_seeds: %s\n", what.c_str());
  return 1;
}

void commit(store::kv_store& kv, store::commit_request req) {
  if (!kv.commit(req)) std::fprintf(stderr, "fuzz_make_seeds: a commit failed\n");
}

store::operation put(std::string key, std::string value, std::string type = {}, std::int64_t ttl_ms = 0) {
  return {store::operation::kind::put, std::move(key), store::make_value(value, type), ttl_ms, 0};
}

// One mode byte, then the file: raw (0) or chunked (1); for the wal target also recovery with
// --repair (2) or --discard-data (4).
void write_seed(const fs::path& dir, const std::string& name, char mode, std::string_view bytes) {
  fs::create_directories(dir);
  fuzz::write_file((dir / name).string(), std::string(1, mode) + std::string(bytes));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return die("usage: fuzz_make_seeds CORPUS_DIR");
  const fs::path corpus = argv[1];
  const std::string data = fuzz::scratch_dir() + "/data";

  // A log segment from commits of every origin and operation kind.
  store::kv_store kv;
  {
    wal::storage_options opts;
    opts.dir = data;
    wal::storage disk(kv, opts);
    if (auto r = disk.open(); !r) return die(r.error().message());
    commit(kv, {{}, {put("app/config/db", "postgres://db:5432", "text/plain")}, store::commit_request::kind::write});
    commit(kv, {{}, {put("session/1", "token", {}, 30'000)}, store::commit_request::kind::write});
    commit(kv, {{{store::condition::kind::exists, "lock", 0, {}, false}}, {put("lock", "me", {}, 10'000)},
                store::commit_request::kind::cas});
    commit(kv, {{{store::condition::kind::mod_revision, "a", 0, {}, true}},
                {put("a", "1"), put("b", std::string("\0\xff binary", 9), "application/octet-stream"),
                 {store::operation::kind::erase, "app/config/db", nullptr, 0, 0}},
                store::commit_request::kind::batch});
    commit(kv, {{}, {{store::operation::kind::erase, "b", nullptr, 0, 0}}, store::commit_request::kind::write});
    if (auto s = disk.close(); !s) return die(s.message());
  }
  const auto files = wal::list_data_files(data);
  if (files.segments.empty()) return die("no segment written");
  auto segment = io::read_whole_file(files.segments.begin()->second);
  if (!segment || segment->empty()) return die("the segment is empty");
  write_seed(corpus / "wal", "segment", 0, *segment);
  write_seed(corpus / "wal", "segment_chunked", 1, fuzz::chunks_of_frames(*segment));
  write_seed(corpus / "wal", "segment_torn_tail", 0, std::string_view(*segment).substr(0, segment->size() - 7));
  std::string damaged = *segment;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x20);
  write_seed(corpus / "wal", "segment_damaged_middle", 0, damaged);
  write_seed(corpus / "wal", "segment_damaged_middle_repair", 2, damaged);
  write_seed(corpus / "wal", "segment_chunked_discard", 1 | 4, fuzz::chunks_of_frames(*segment));
  // A commit payload alone (the batch's), for the decoder.
  {
    wal::frame_reader reader(*segment);
    wal::frame f;
    for (int i = 0; i < 4 && reader.next(f) == wal::frame_reader::result::ok; ++i) {}
    write_seed(corpus / "wal", "commit_payload", 0, f.payload);
  }

  // A snapshot of what the commits left (an expiring key, binary and typed values).
  const std::string snaps = fuzz::scratch_dir() + "/snapshots";
  fs::create_directories(snaps);
  const auto info = wal::write_snapshot(kv, snaps, kv.revision(), [] { return status::success(); });
  if (!info) return die(info.error().message());
  auto snapshot = io::read_whole_file(info->path);
  if (!snapshot) return die(snapshot.error().message());
  write_seed(corpus / "snapshot", "snapshot", 0, *snapshot);
  write_seed(corpus / "snapshot", "snapshot_chunked", 1, fuzz::chunks_of_frames(*snapshot));
  write_seed(corpus / "snapshot", "snapshot_no_footer", 0, std::string_view(*snapshot).substr(0, snapshot->size() - 29));
  damaged = *snapshot;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x01);
  write_seed(corpus / "snapshot", "snapshot_damaged", 0, damaged);
  std::printf("seeds written to %s\n", corpus.c_str());
  return 0;
}
