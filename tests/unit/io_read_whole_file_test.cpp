// io::read_whole_file, the one way the server reads a file whole (snapshots, the epoch file, /proc).
#include "livekv/io/append_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace livekv::io {
namespace {

TEST(read_whole_file, returns_every_byte_of_a_file) {
  test::temp_dir dir;
  const std::string path = (dir / "bytes").string();
  std::string bytes(200'000, '\0');  // larger than one read, with NULs and every byte value
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary) << bytes;
  auto got = read_whole_file(path);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, bytes);
}

TEST(read_whole_file, an_empty_file_reads_empty) {
  test::temp_dir dir;
  std::ofstream(dir / "empty").flush();
  auto got = read_whole_file((dir / "empty").string());
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(got->empty());
}

TEST(read_whole_file, proc_files_read_whole_despite_their_zero_size) {
  auto got = read_whole_file("/proc/self/limits");
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_NE(got->find("Max open files"), std::string::npos);
}

TEST(read_whole_file, a_missing_file_is_an_error_naming_it) {
  test::temp_dir dir;
  const std::string path = (dir / "missing").string();
  auto got = read_whole_file(path);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), errc::storage_failed);
  EXPECT_NE(got.error().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace livekv::io
