#include "livekv/wal/file_names.hpp"

#include <gtest/gtest.h>

#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/snapshot.hpp"

namespace livekv::wal {
namespace {

TEST(wal_file_names, names_round_trip_and_sort_in_revision_order) {
  EXPECT_EQ(segment_name(42), "wal-00000000000000000042.log");
  EXPECT_EQ(parse_segment_name(segment_name(42)), 42u);
  EXPECT_EQ(parse_snapshot_name(snapshot_name(18446744073709551615ull)), 18446744073709551615ull);
  EXPECT_LT(segment_name(9), segment_name(10));
}

TEST(wal_file_names, other_files_are_not_mistaken_for_ours) {
  for (const char* name : {"wal-42.log", "wal-0000000000000000004x.log", "wal-00000000000000000042.log.tmp",
                           "snapshot-00000000000000000042.snap.tmp", "xwal-00000000000000000042.log", ""})
    EXPECT_FALSE(parse_segment_name(name) || parse_snapshot_name(name)) << name;
}

}  // namespace
}  // namespace livekv::wal
