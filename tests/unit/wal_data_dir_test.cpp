// wal::list_data_files, the one scan of a data directory.
#include "livekv/wal/data_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "livekv/wal/file_names.hpp"
#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/snapshot.hpp"
#include "support/temp_dir.hpp"

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p) { std::ofstream(p).flush(); }

TEST(wal_data_dir, sorts_snapshots_and_segments_by_revision_with_their_paths) {
  test::temp_dir dir;
  for (std::uint64_t rev : {40u, 3u, 17u}) touch(dir / segment_name(rev));
  for (std::uint64_t rev : {16u, 2u}) touch(dir / snapshot_name(rev));
  const data_files f = list_data_files(dir.path().string());
  ASSERT_EQ(f.segments.size(), 3u);
  EXPECT_EQ(f.segments.begin()->first, 3u);
  EXPECT_EQ(f.segments.rbegin()->first, 40u);
  EXPECT_EQ(f.segments.at(17), (dir / segment_name(17)).string());
  ASSERT_EQ(f.snapshots.size(), 2u);
  EXPECT_EQ(f.snapshots.begin()->first, 2u);
  EXPECT_EQ(f.snapshots.at(16), (dir / snapshot_name(16)).string());
  EXPECT_TRUE(f.temporaries.empty());
}

TEST(wal_data_dir, lists_interrupted_writes_and_skips_other_names) {
  test::temp_dir dir;
  touch(dir / (snapshot_name(9) + ".tmp"));
  touch(dir / "epoch.tmp");
  touch(dir / "epoch");
  touch(dir / "wal-42.log");  // not 20 digits
  touch(dir / "notes.txt");
  fs::create_directory(dir / "discarded-1700000000");
  const data_files f = list_data_files(dir.path().string());
  EXPECT_TRUE(f.segments.empty());
  EXPECT_TRUE(f.snapshots.empty()) << "a temporary snapshot is not a snapshot";
  ASSERT_EQ(f.temporaries.size(), 2u);
  for (const auto& t : f.temporaries) EXPECT_TRUE(t.ends_with(".tmp")) << t;
}

TEST(wal_data_dir, a_missing_directory_lists_as_empty) {
  test::temp_dir dir;
  const data_files f = list_data_files((dir / "never-created").string());
  EXPECT_TRUE(f.segments.empty());
  EXPECT_TRUE(f.snapshots.empty());
  EXPECT_TRUE(f.temporaries.empty());
}

}  // namespace
}  // namespace livekv::wal
