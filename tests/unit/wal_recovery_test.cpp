// Recovery when files are missing or recovery must give data up: real data directories written
// by wal::storage in a temporary directory, then a file removed or damaged, then wal::recover().
// What every test holds to: a revision once handed out is never handed out again.
#include "livekv/wal/recovery.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "livekv/store/kv_store.hpp"
#include "livekv/wal/epoch_file.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/log_reader.hpp"
#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/snapshot.hpp"
#include "livekv/wal/storage.hpp"

#include "support/temp_dir.hpp"

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;

using test::temp_dir;

store::commit_request put(std::string key, std::string value) {
  store::commit_request r;
  r.ops.push_back({store::operation::kind::put, std::move(key), store::make_value(value, "text/plain"), 0, 0});
  return r;
}

// The names in `dir` (not recursive), sorted.
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

class recovery_test : public ::testing::Test {
 protected:
  // One run of the server against the directory: opens a storage on a store recovered from it,
  // writes keys prefix0..prefix<n-1>, optionally takes a snapshot after the first `snapshot_after`.
  void run(const std::string& prefix, int n, int snapshot_after = -1) {
    store::kv_store s;
    storage disk(s, opts());
    auto rep = disk.open();
    ASSERT_TRUE(rep) << rep.error().message();
    for (int i = 0; i < n; ++i) {
      if (i == snapshot_after) {
        ASSERT_NO_FATAL_FAILURE(snapshot(disk));
      }
      auto out = s.commit(put(prefix + std::to_string(i), "v"));
      ASSERT_TRUE(out && out->applied);
    }
    if (snapshot_after == n) {
      ASSERT_NO_FATAL_FAILURE(snapshot(disk));
    }
    ASSERT_TRUE(disk.close());
  }
  void snapshot(storage& disk) {
    std::promise<result<snapshot_info>> done;
    disk.request_snapshot([&](result<snapshot_info> r) { done.set_value(std::move(r)); });
    auto info = done.get_future().get();
    ASSERT_TRUE(info) << info.error().message();
  }
  storage_options opts() {
    storage_options o;
    o.dir = dir_.path();
    o.policy = fsync_policy::always;
    return o;
  }
  fs::path file(const std::string& name) const { return fs::path(dir_.path()) / name; }
  // Whether recover() left the directory's files as they were.
  void expect_untouched(const std::set<std::string>& before) {
    EXPECT_EQ(names_in(dir_.path()), before) << "a refused recovery changes no file";
  }

  temp_dir dir_;
};

TEST_F(recovery_test, a_missing_snapshot_is_refused_naming_it_and_the_ways_out_even_with_repair) {
  ASSERT_NO_FATAL_FAILURE(run("k", 15, 10));  // snapshot at 10; the log from 11 on
  ASSERT_TRUE(fs::remove(file(snapshot_name(10))));
  const auto before = names_in(dir_.path());
  ASSERT_TRUE(before.contains(segment_name(11))) << "the snapshot made the segments before it obsolete";
  for (const bool repair : {false, true}) {
    store::kv_store r;
    auto rep = recover(r, dir_.path(), {repair, std::nullopt});
    ASSERT_FALSE(rep) << "repair " << repair << ": started at revision " << rep->revision;
    const std::string& m = rep.error().message();
    EXPECT_NE(m.find("revisions 1 to 10 are missing"), std::string::npos) << m;
    EXPECT_NE(m.find(snapshot_name(10)), std::string::npos) << m;
    EXPECT_NE(m.find(segment_name(11)), std::string::npos) << m;
    EXPECT_NE(m.find("backup"), std::string::npos) << m;
    EXPECT_NE(m.find("--discard-data"), std::string::npos) << m;
    EXPECT_NE(m.find("--repair does not apply"), std::string::npos) << m;
    EXPECT_EQ(m.find("--repair to"), std::string::npos) << "no advice to repair what is not damaged: " << m;
    ASSERT_NO_FATAL_FAILURE(expect_untouched(before));
  }
}

TEST_F(recovery_test, a_snapshot_older_than_the_log_needs_is_refused_naming_the_newer_one) {
  ASSERT_NO_FATAL_FAILURE(run("a", 5, 5));  // snapshot at 5
  const fs::path old_copy = fs::path(dir_.path()).parent_path() / (fs::path(dir_.path()).filename().string() + ".old");
  fs::copy_file(file(snapshot_name(5)), old_copy);
  ASSERT_NO_FATAL_FAILURE(run("b", 5, 5));  // snapshot at 10: snapshot-5 and the log up to 10 go
  ASSERT_NO_FATAL_FAILURE(run("c", 2));
  ASSERT_TRUE(fs::remove(file(snapshot_name(10))));
  fs::rename(old_copy, file(snapshot_name(5)));
  const auto before = names_in(dir_.path());

  store::kv_store r;
  auto rep = recover(r, dir_.path(), {});
  ASSERT_FALSE(rep) << "started at revision " << rep->revision;
  const std::string& m = rep.error().message();
  EXPECT_NE(m.find("revisions 6 to 10 are missing"), std::string::npos) << m;
  EXPECT_NE(m.find(snapshot_name(10)), std::string::npos) << m;
  EXPECT_NE(m.find("the newest snapshot there, " + snapshot_name(5) + ", is older"), std::string::npos) << m;
  ASSERT_NO_FATAL_FAILURE(expect_untouched(before));
}

TEST_F(recovery_test, a_missing_segment_before_an_empty_one_is_damage_not_the_end_of_the_log) {
  ASSERT_NO_FATAL_FAILURE(run("a", 5));  // wal-1: revisions 1-5
  ASSERT_NO_FATAL_FAILURE(run("b", 5));  // wal-6: 6-10
  ASSERT_NO_FATAL_FAILURE(run("c", 0));  // wal-11, empty
  ASSERT_TRUE(fs::remove(file(segment_name(6))));

  {
    store::kv_store r;
    auto rep = recover(r, dir_.path(), {});
    ASSERT_FALSE(rep) << "started at revision " << rep->revision << ": revisions 6-10 would be handed out again";
    EXPECT_NE(rep.error().message().find("revisions 6 to 10 are in no log segment"), std::string::npos)
        << rep.error().message();
    EXPECT_NE(rep.error().message().find("--repair"), std::string::npos) << rep.error().message();
  }
  // --repair keeps 1-5 and goes on past 10, which it knows of from wal-11's name alone.
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {true, std::nullopt});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->records_replayed, 5u);
  EXPECT_EQ(rep->highest_dropped_revision, 10u);
  EXPECT_EQ(rep->revision, 11u);
  EXPECT_EQ(r.stats().keys, 5u);
}

TEST_F(recovery_test, discard_data_moves_every_file_aside_and_starts_empty_past_the_highest_revision) {
  ASSERT_NO_FATAL_FAILURE(run("k", 15, 10));
  ASSERT_TRUE(fs::remove(file(snapshot_name(10))));
  const auto before = names_in(dir_.path());

  {
    store::kv_store r;
    auto rep = recover(r, dir_.path(), {false, 0});
    ASSERT_TRUE(rep) << rep.error().message();
    EXPECT_EQ(r.stats().keys, 0u);
    EXPECT_EQ(rep->highest_dropped_revision, 15u);
    EXPECT_EQ(rep->revision, 16u) << "past every revision handed out before";
    EXPECT_EQ(rep->epoch, 1u);
    EXPECT_EQ(read_epoch(dir_.path()).value(), 1u);
    ASSERT_FALSE(rep->warnings.empty());
    EXPECT_NE(rep->warnings[0].find("Remove --discard-data"), std::string::npos) << rep->warnings[0];
    // Nothing deleted: every old file is in the folder, and the directory holds the new start.
    const fs::path aside(rep->moved_aside);
    EXPECT_EQ(aside.parent_path(), fs::path(dir_.path()));
    EXPECT_TRUE(aside.filename().string().starts_with("discarded-")) << aside;
    EXPECT_EQ(names_in(aside), before);
    EXPECT_EQ(names_in(dir_.path()),
              (std::set<std::string>{aside.filename().string(), snapshot_name(16), epoch_file_name}));
  }
  // The new start is an ordinary directory: writes go on from 17, and a restart keeps them.
  {
    store::kv_store s;
    storage disk(s, opts());
    auto rep = disk.open();
    ASSERT_TRUE(rep) << rep.error().message();
    EXPECT_EQ(rep->revision, 16u);
    EXPECT_EQ(rep->epoch, 1u);
    EXPECT_TRUE(rep->warnings.empty());
    EXPECT_EQ(s.commit(put("new", "v"))->revision, 17u);
  }
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->revision, 17u);
  EXPECT_EQ(rep->epoch, 1u);
  EXPECT_EQ(rep->snapshot_revision, 16u);
  ASSERT_TRUE(r.get("new"));
  EXPECT_EQ(r.get("new")->mod_revision, 17u);
  EXPECT_EQ(r.stats().keys, 1u);
}

TEST_F(recovery_test, discard_data_left_set_discards_nothing_more_it_names_the_epoch_it_discarded) {
  ASSERT_NO_FATAL_FAILURE(run("k", 15, 10));
  ASSERT_TRUE(fs::remove(file(snapshot_name(10))));
  {
    store::kv_store r;
    ASSERT_TRUE(recover(r, dir_.path(), {false, 0}));
  }
  const auto after_discard = names_in(dir_.path());
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {false, 0});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->epoch, 1u);
  EXPECT_EQ(rep->revision, 16u) << "recovered as usual";
  EXPECT_EQ(names_in(dir_.path()), after_discard) << "nothing moved";
  ASSERT_EQ(rep->warnings.size(), 1u);
  EXPECT_NE(rep->warnings[0].find("--discard-data 0 ignored"), std::string::npos) << rep->warnings[0];
}

TEST_F(recovery_test, discard_data_continues_past_a_snapshot_end_revision_that_no_record_reaches) {
  store::kv_store s;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.commit(put("k" + std::to_string(i), "v")));
  // A fuzzy snapshot that started at revision 2 and saw writes up to 5; no log at all.
  ASSERT_TRUE(write_snapshot(s, dir_.path(), 2, [] { return status::success(); }));
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {false, 0});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->highest_dropped_revision, 5u);
  EXPECT_EQ(rep->revision, 6u);
}

TEST_F(recovery_test, discard_data_with_nothing_to_discard_changes_nothing) {
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {false, 0});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->revision, 0u);
  EXPECT_EQ(rep->epoch, 0u);
  EXPECT_TRUE(rep->moved_aside.empty());
  EXPECT_EQ(rep->warnings.size(), 1u);
  EXPECT_TRUE(names_in(dir_.path()).empty());
}

TEST_F(recovery_test, repair_continues_past_the_dropped_records_and_old_resume_points_find_the_log_compacted) {
  ASSERT_NO_FATAL_FAILURE(run("a", 4));   // wal-1: 1-4
  ASSERT_NO_FATAL_FAILURE(run("b", 20));  // wal-5: 5-24
  {
    // Damage a byte in the middle of wal-5's payloads: a valid frame follows, so it is not torn.
    const fs::path seg = file(segment_name(5));
    const auto at = static_cast<std::streamoff>(fs::file_size(seg) / 2);
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(at);
    const char original = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(original ^ 0x5a));
  }
  const auto before = names_in(dir_.path());
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {true, std::nullopt});
  ASSERT_TRUE(rep) << rep.error().message();
  const std::uint64_t kept = rep->records_replayed;
  ASSERT_GT(kept, 4u);
  ASSERT_LT(kept, 24u);
  EXPECT_EQ(r.stats().keys, kept);
  EXPECT_EQ(rep->highest_dropped_revision, 24u) << "the last record after the damage still decodes";
  EXPECT_EQ(rep->revision, 25u);
  EXPECT_EQ(rep->epoch, 1u);
  EXPECT_EQ(names_in(rep->moved_aside), before) << "the damaged segment is moved whole, not cut";
  ASSERT_FALSE(rep->warnings.empty());
  EXPECT_NE(rep->warnings.back().find("revisions continue at 25"), std::string::npos) << rep->warnings.back();

  // A feed client that saw a dropped revision must not resume as if nothing had happened.
  {
    store::kv_store s;
    storage disk(s, opts());
    ASSERT_TRUE(disk.open());
    EXPECT_EQ(s.commit(put("after", "v"))->revision, 26u);
    ASSERT_TRUE(disk.sync());
    std::vector<store::replayed_commit> out;
    log_position pos;
    EXPECT_EQ(log_reader(dir_.path()).read_after(kept + 1, 100, 1 << 20, pos, out).code(), errc::history_compacted);
    EXPECT_TRUE(out.empty());
  }
  store::kv_store again;
  auto rep2 = recover(again, dir_.path(), {});
  ASSERT_TRUE(rep2) << rep2.error().message();
  EXPECT_EQ(rep2->revision, 26u);
  EXPECT_EQ(again.stats().keys, kept + 1);
  EXPECT_EQ(rep2->epoch, 1u);
}

TEST_F(recovery_test, an_epoch_file_that_cannot_be_read_stops_recovery) {
  ASSERT_NO_FATAL_FAILURE(run("k", 3));
  std::ofstream(file(epoch_file_name)) << "garbage\n";
  store::kv_store r;
  auto rep = recover(r, dir_.path(), {});
  ASSERT_FALSE(rep);
  EXPECT_NE(rep.error().message().find(epoch_file_name), std::string::npos) << rep.error().message();
}

}  // namespace
}  // namespace livekv::wal
