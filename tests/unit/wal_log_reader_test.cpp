// Reading the write-ahead log back for the live feed: real segments written by wal::log_writer in a
// temporary directory, small enough that a few commits fill one, read in small batches.
#include "livekv/wal/log_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"
#include "livekv/wal/log_writer.hpp"
#include "support/temp_dir.hpp"

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;
using origin = store::commit_request::kind;
using op_kind = store::operation::kind;

constexpr std::size_t unlimited = static_cast<std::size_t>(-1);
// A commit below is about 100 bytes framed: a new segment every three commits.
constexpr std::uint64_t small_segment = 250;

using test::temp_dir;

std::string key_of(std::uint64_t rev) { return "key-" + std::to_string(rev); }
std::string value_of(std::uint64_t rev) { return "value-of-revision-" + std::to_string(rev); }
// Revisions take turns being plain writes, CAS and batches, so origins are seen to survive.
origin origin_of(std::uint64_t rev) { return static_cast<origin>(rev % 3); }

// The payload the writer logs for `rev`, and calls `use` with the commit.
template <typename F>
void with_commit(std::uint64_t rev, F&& use) {
  const auto v = store::make_value(value_of(rev), "text/plain");
  const auto key = key_of(rev);
  store::logged_commit c{0, 0, rev, 1'700'000'000'000 + static_cast<std::int64_t>(rev), {}};
  c.origin = origin_of(rev);
  c.ops.push_back({op_kind::put, key, v.get(), 0});
  if (c.origin == origin::batch) c.ops.push_back({op_kind::erase, "other", nullptr, 0});
  use(c);
}

std::size_t frame_size_of(std::uint64_t rev) {
  std::string payload;
  with_commit(rev, [&](const store::logged_commit& c) { encode_commit(payload, c); });
  return frame_header_bytes + payload.size();
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto r = from; r <= to; ++r) out.push_back(r);
  return out;
}

class log_reader_test : public ::testing::Test {
 protected:
  // Appends commits from..to, each written (and the segment rotated, when full) before the next.
  void write(std::uint64_t from, std::uint64_t to) {
    if (!writer_) {
      auto w = log_writer::open({dir_.path(), fsync_policy::no, small_segment, {}, {}}, from);
      ASSERT_TRUE(w) << w.error().message();
      writer_ = std::move(*w);
    }
    for (auto rev = from; rev <= to; ++rev) {
      with_commit(rev, [&](const store::logged_commit& c) { ASSERT_TRUE(writer_->append(c)); });
      ASSERT_TRUE(writer_->sync_now());
    }
  }

  // Closes the writer and drops an empty newest segment, so the last file holds the last commit.
  void close_writer() {
    ASSERT_TRUE(writer_->close());
    writer_.reset();
    const auto files = segment_files();
    if (!files.empty() && fs::file_size(files.back()) == 0) fs::remove(files.back());
  }

  std::vector<fs::path> segment_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_.path()))
      if (parse_segment_name(e.path().filename().string())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  // One read_after call; the revisions it returned, checking each commit's content on the way.
  status read(std::uint64_t after, std::size_t max_commits, std::size_t max_bytes, log_position& pos,
              std::vector<std::uint64_t>& revs) const {
    std::vector<store::replayed_commit> out;
    auto s = reader_.read_after(after, max_commits, max_bytes, pos, out);
    for (const auto& c : out) {
      revs.push_back(c.revision);
      EXPECT_EQ(c.origin, origin_of(c.revision));
      EXPECT_EQ(c.time_ms, 1'700'000'000'000 + static_cast<std::int64_t>(c.revision));
      EXPECT_EQ(c.ops.size(), c.origin == origin::batch ? 2u : 1u);
      if (c.ops.empty()) continue;
      EXPECT_EQ(c.ops[0].key, key_of(c.revision));
      EXPECT_EQ(c.ops[0].val->bytes(), value_of(c.revision));
    }
    return s;
  }

  // Reads everything after `after` in batches of `max_commits`, resuming with one position.
  std::vector<std::uint64_t> read_all(std::uint64_t after, std::size_t max_commits, std::size_t max_bytes = unlimited) {
    std::vector<std::uint64_t> revs;
    log_position pos;
    for (int calls = 0; calls < 1000; ++calls) {
      std::vector<std::uint64_t> batch;
      auto s = read(revs.empty() ? after : revs.back(), max_commits, max_bytes, pos, batch);
      EXPECT_TRUE(s) << s.message();
      EXPECT_LE(batch.size(), max_commits);
      if (batch.empty() || !s) break;
      revs.insert(revs.end(), batch.begin(), batch.end());
    }
    return revs;
  }

  temp_dir dir_;
  std::unique_ptr<log_writer> writer_;
  log_reader reader_{dir_.path()};
};

TEST_F(log_reader_test, first_revision_is_the_oldest_segments_name) {
  EXPECT_FALSE(reader_.first_revision());
  write(1, 20);
  const auto files = segment_files();
  ASSERT_GE(files.size(), 4u) << "the test needs several segments";
  EXPECT_EQ(reader_.first_revision(), 1u);
  fs::remove(files[0]);
  EXPECT_EQ(reader_.first_revision(), parse_segment_name(files[1].filename().string()));
}

TEST_F(log_reader_test, every_commit_after_any_revision_is_read_in_order) {
  write(1, 20);
  for (std::uint64_t after = 0; after <= 20; ++after) {
    std::vector<std::uint64_t> revs;
    log_position pos;
    auto s = read(after, unlimited, unlimited, pos, revs);
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(revs, range(after + 1, 20)) << "after " << after;
  }
}

TEST_F(log_reader_test, small_batches_resumed_with_one_position_read_each_commit_once_across_segments) {
  write(1, 20);
  ASSERT_GE(segment_files().size(), 4u);
  for (const std::size_t batch : {1, 2, 3, 4, 7}) {
    EXPECT_EQ(read_all(0, batch), range(1, 20)) << "batches of " << batch;
    EXPECT_EQ(read_all(4, batch), range(5, 20)) << "batches of " << batch;
  }
}

TEST_F(log_reader_test, the_position_follows_the_reader_into_later_segments) {
  write(1, 20);
  log_position pos;
  std::vector<std::uint64_t> revs;
  ASSERT_TRUE(read(0, 2, unlimited, pos, revs));
  EXPECT_EQ(pos.segment, 1u);
  EXPECT_GT(pos.offset, 0u);
  for (std::uint64_t after = 2; after < 20;) {
    const auto before = revs.size();
    ASSERT_TRUE(read(after, 2, unlimited, pos, revs));
    ASSERT_GT(revs.size(), before);
    after = revs.back();
  }
  EXPECT_EQ(revs, range(1, 20));
  EXPECT_EQ(pos.segment, parse_segment_name(segment_files().back().filename().string()));
}

TEST_F(log_reader_test, max_bytes_bounds_a_batch_but_lets_at_least_one_commit_through) {
  write(1, 10);
  log_position pos;
  std::vector<std::uint64_t> revs;
  ASSERT_TRUE(read(0, unlimited, 1, pos, revs));
  EXPECT_EQ(revs, range(1, 1));
  // Room for two payloads (a batch of revision 2 carries one more op than a plain write).
  revs.clear();
  log_position pos2;
  ASSERT_TRUE(read(0, unlimited, 2 * (frame_size_of(1) - frame_header_bytes), pos2, revs));
  EXPECT_EQ(revs, range(1, 2));
  EXPECT_EQ(read_all(0, unlimited, 1), range(1, 10));
}

TEST_F(log_reader_test, the_end_of_the_log_is_no_error_and_later_commits_are_found_from_there) {
  write(1, 10);
  log_position pos;
  std::vector<std::uint64_t> revs;
  ASSERT_TRUE(read(0, unlimited, unlimited, pos, revs));
  ASSERT_EQ(revs, range(1, 10));
  std::vector<std::uint64_t> none;
  ASSERT_TRUE(read(10, unlimited, unlimited, pos, none));
  EXPECT_TRUE(none.empty());

  write(11, 20);  // several rotations later
  std::vector<std::uint64_t> more;
  ASSERT_TRUE(read(10, unlimited, unlimited, pos, more));
  EXPECT_EQ(more, range(11, 20));
}

TEST_F(log_reader_test, a_revision_before_the_first_segment_is_history_compacted) {
  log_position empty_pos;
  std::vector<std::uint64_t> revs;
  EXPECT_EQ(read(0, unlimited, unlimited, empty_pos, revs).code(), errc::history_compacted) << "no segment at all";

  write(1, 20);
  const auto files = segment_files();
  ASSERT_GE(files.size(), 3u);
  fs::remove(files[0]);  // as a snapshot does
  const auto first = *parse_segment_name(files[1].filename().string());
  ASSERT_GT(first, 1u);
  for (std::uint64_t after : {std::uint64_t{0}, first - 2}) {
    log_position pos;
    auto s = read(after, unlimited, unlimited, pos, revs);
    EXPECT_EQ(s.code(), errc::history_compacted) << "after " << after << ": " << s.message();
  }
  revs.clear();
  log_position pos;
  ASSERT_TRUE(read(first - 1, unlimited, unlimited, pos, revs));
  EXPECT_EQ(revs, range(first, 20));
}

TEST_F(log_reader_test, a_damaged_record_is_an_internal_error_naming_the_file_and_offset) {
  write(1, 20);
  close_writer();
  const auto files = segment_files();
  ASSERT_GE(files.size(), 4u);
  const auto victim = files[files.size() / 2];
  const auto size = fs::file_size(victim);
  ASSERT_GT(size, 2 * frame_header_bytes);
  // One byte in a frame's header (its length) and one in the middle of the segment (a payload).
  for (const std::uint64_t at : {std::uint64_t{9}, size / 2}) {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    const char original = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(original ^ 0x5a));
    f.close();

    std::vector<std::uint64_t> revs;
    log_position pos;
    auto s = read(0, unlimited, unlimited, pos, revs);
    EXPECT_EQ(s.code(), errc::internal) << "byte " << at << ": " << s.message();
    EXPECT_NE(s.message().find(victim.filename().string()), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("offset"), std::string::npos) << s.message();
    // Nothing after the damage was handed out.
    const auto damaged_segment = *parse_segment_name(victim.filename().string());
    for (auto r : revs) EXPECT_LT(r, damaged_segment + 3) << "byte " << at;

    std::fstream g(victim, std::ios::in | std::ios::out | std::ios::binary);
    g.seekp(static_cast<std::streamoff>(at));
    g.put(original);
  }
  EXPECT_EQ(read_all(0, unlimited), range(1, 20)) << "the repaired log reads again";
}

TEST_F(log_reader_test, a_partially_written_last_frame_is_the_end_of_the_log_not_damage) {
  write(1, 20);
  close_writer();
  const auto last = segment_files().back();
  const auto full = fs::file_size(last);
  const auto frame = frame_size_of(20);
  ASSERT_GE(full, frame);
  std::string tail;
  {
    std::ifstream in(last, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(full - frame));
    tail.resize(frame);
    in.read(tail.data(), static_cast<std::streamsize>(frame));
  }
  // Cut inside the last frame's header, then inside its payload.
  for (const std::size_t kept : {std::size_t{5}, frame_header_bytes + 3, frame - 1}) {
    fs::resize_file(last, full - frame + kept);
    log_position pos;
    std::vector<std::uint64_t> revs;
    auto s = read(0, unlimited, unlimited, pos, revs);
    ASSERT_TRUE(s) << "kept " << kept << ": " << s.message();
    EXPECT_EQ(revs, range(1, 19)) << "kept " << kept;

    // The writer finishes the frame: the same position picks it up.
    {
      std::ofstream out(last, std::ios::binary | std::ios::app);
      out.write(tail.data() + kept, static_cast<std::streamsize>(frame - kept));
    }
    std::vector<std::uint64_t> rest;
    s = read(19, unlimited, unlimited, pos, rest);
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(rest, range(20, 20)) << "kept " << kept;
  }
}

TEST_F(log_reader_test, records_larger_than_a_read_chunk_are_read_whole) {
  // The reader reads 1 MiB at a time; a record of several MiB must be read in one piece.
  auto w = log_writer::open({dir_.path(), fsync_policy::no, 64ull << 20, {}, {}}, 1);
  ASSERT_TRUE(w) << w.error().message();
  const std::string big(3 * 1024 * 1024 + 17, 'b');
  const std::string small = "s";
  for (std::uint64_t rev = 1; rev <= 6; ++rev) {
    const auto v = store::make_value(rev % 2 == 0 ? big : small);
    store::logged_commit c{0, 0, rev, 0, {}};
    const auto key = key_of(rev);
    c.ops.push_back({op_kind::put, key, v.get(), 0});
    ASSERT_TRUE((*w)->append(c));
  }
  ASSERT_TRUE((*w)->close());

  for (const std::size_t batch : {std::size_t{1}, std::size_t{2}, unlimited}) {
    std::vector<std::uint64_t> revs;
    log_position pos;
    for (std::uint64_t after = 0; after < 6;) {
      std::vector<store::replayed_commit> out;
      auto s = reader_.read_after(after, batch, unlimited, pos, out);
      ASSERT_TRUE(s) << s.message();
      ASSERT_FALSE(out.empty()) << "stuck after " << after;
      for (const auto& c : out) {
        revs.push_back(c.revision);
        EXPECT_EQ(c.ops.at(0).val->bytes().size(), c.revision % 2 == 0 ? big.size() : small.size());
      }
      after = revs.back();
    }
    EXPECT_EQ(revs, range(1, 6)) << "batches of " << batch;
  }
}

TEST_F(log_reader_test, a_large_record_cut_short_is_the_end_of_the_log) {
  auto w = log_writer::open({dir_.path(), fsync_policy::no, 64ull << 20, {}, {}}, 1);
  ASSERT_TRUE(w) << w.error().message();
  const auto small = store::make_value("s");
  const auto big = store::make_value(std::string(2 * 1024 * 1024, 'b'));
  store::logged_commit c1{0, 0, 1, 0, {}};
  c1.ops.push_back({op_kind::put, "a", small.get(), 0});
  store::logged_commit c2{0, 0, 2, 0, {}};
  c2.ops.push_back({op_kind::put, "b", big.get(), 0});
  ASSERT_TRUE((*w)->append(c1));
  ASSERT_TRUE((*w)->append(c2));
  ASSERT_TRUE((*w)->close());
  const auto seg = segment_files().front();
  fs::resize_file(seg, fs::file_size(seg) - 1000 * 1000);  // still more than a chunk of it is there

  std::vector<store::replayed_commit> out;
  log_position pos;
  auto s = reader_.read_after(0, unlimited, unlimited, pos, out);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].revision, 1u);
}

}  // namespace
}  // namespace livekv::wal
