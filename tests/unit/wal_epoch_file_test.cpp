// The data directory's epoch file: absent means 0, a write is atomic and reads back, and a file
// that does not hold a number is an error, not a silent 0.
#include "livekv/wal/epoch_file.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;

using test::temp_dir;

TEST(wal_epoch_file, a_directory_without_the_file_is_at_epoch_0) {
  temp_dir dir;
  const auto e = read_epoch(dir.path());
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, 0u);
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / epoch_file_name)) << "reading creates nothing";
}

TEST(wal_epoch_file, a_written_epoch_reads_back_and_leaves_no_temporary_file) {
  temp_dir dir;
  ASSERT_TRUE(write_epoch(dir.path(), 1));
  ASSERT_TRUE(write_epoch(dir.path(), 18446744073709551615ull));
  const auto e = read_epoch(dir.path());
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, 18446744073709551615ull);
  std::vector<std::string> names;
  for (const auto& f : fs::directory_iterator(dir.path())) names.push_back(f.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{epoch_file_name});
}

TEST(wal_epoch_file, a_file_that_holds_no_number_is_an_error_naming_it) {
  temp_dir dir;
  for (const char* text : {"", "\n", "two\n", "3 \n", "-1\n", "99999999999999999999999\n"}) {
    std::ofstream(fs::path(dir.path()) / epoch_file_name, std::ios::trunc) << text;
    const auto e = read_epoch(dir.path());
    ASSERT_FALSE(e) << "'" << text << "' read as " << *e;
    EXPECT_NE(e.error().message().find(epoch_file_name), std::string::npos) << e.error().message();
  }
}

}  // namespace
}  // namespace livekv::wal
