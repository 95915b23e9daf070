#include "livekv/wal/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "livekv/util/crc32c.hpp"

namespace livekv::wal {
namespace {

std::string three_frames() {
  std::string f;
  append_frame(f, frame_type::commit, "first");
  append_frame(f, frame_type::commit, std::string(300, 'x'));
  append_frame(f, frame_type::commit, "third and last");
  return f;
}

std::vector<std::string> read_all(std::string_view data, frame_reader::result* end, std::uint64_t* stop = nullptr) {
  frame_reader r(data);
  std::vector<std::string> out;
  frame f;
  for (;;) {
    const auto res = r.next(f);
    if (res != frame_reader::result::ok) {
      *end = res;
      if (stop) *stop = r.offset();
      return out;
    }
    out.emplace_back(f.payload);
  }
}

TEST(crc32c, matches_the_standard_check_value) {
  EXPECT_EQ(util::crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(util::crc32c(""), 0u);
  EXPECT_EQ(util::crc32c_extend(util::crc32c("1234"), "56789"), 0xe3069283u);
  EXPECT_EQ(util::crc32c_unmask(util::crc32c_mask(0xdeadbeefu)), 0xdeadbeefu);
}

TEST(wal_frame, frames_round_trip_in_order) {
  frame_reader::result end{};
  const auto got = read_all(three_frames(), &end);
  EXPECT_EQ(end, frame_reader::result::end);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "first");
  EXPECT_EQ(got[1], std::string(300, 'x'));
  EXPECT_EQ(got[2], "third and last");
}

TEST(wal_frame, empty_payload_is_a_valid_frame) {
  std::string f;
  append_frame(f, frame_type::commit, "");
  frame_reader::result end{};
  EXPECT_EQ(read_all(f, &end).size(), 1u);
  EXPECT_EQ(end, frame_reader::result::end);
}

TEST(wal_frame, truncation_at_every_byte_of_the_last_frame_is_a_torn_tail) {
  const std::string full = three_frames();
  std::string two;
  append_frame(two, frame_type::commit, "first");
  append_frame(two, frame_type::commit, std::string(300, 'x'));
  for (std::size_t cut = two.size() + 1; cut < full.size(); ++cut) {
    frame_reader::result end{};
    std::uint64_t stop = 0;
    const auto got = read_all(std::string_view(full).substr(0, cut), &end, &stop);
    EXPECT_EQ(end, frame_reader::result::torn_tail) << "cut at " << cut;
    EXPECT_EQ(got.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(stop, two.size());
  }
}

TEST(wal_frame, zero_filled_tail_is_a_torn_tail) {
  std::string data = three_frames() + std::string(4096, '\0');
  frame_reader::result end{};
  std::uint64_t stop = 0;
  EXPECT_EQ(read_all(data, &end, &stop).size(), 3u);
  EXPECT_EQ(end, frame_reader::result::torn_tail);
  EXPECT_EQ(stop, three_frames().size());
}

TEST(wal_frame, a_bit_flip_anywhere_in_a_middle_frame_is_corruption) {
  const std::string clean = three_frames();
  std::string first;
  append_frame(first, frame_type::commit, "first");
  std::string upto_second = first;
  append_frame(upto_second, frame_type::commit, std::string(300, 'x'));
  for (std::size_t pos = first.size(); pos < upto_second.size(); ++pos) {
    for (int bit : {0, 7}) {
      std::string data = clean;
      data[pos] = static_cast<char>(data[pos] ^ (1 << bit));
      frame_reader::result end{};
      std::uint64_t stop = 0;
      const auto got = read_all(data, &end, &stop);
      ASSERT_EQ(end, frame_reader::result::corrupt) << "flip at byte " << pos << " bit " << bit;
      EXPECT_EQ(got.size(), 1u);
      EXPECT_EQ(stop, first.size());
    }
  }
}

TEST(wal_frame, a_bit_flip_in_the_last_frame_reads_as_torn) {
  // Nothing valid follows it, so it cannot be told from a torn write: the tail is dropped.
  std::string data = three_frames();
  data[data.size() - 3] ^= 0x10;
  frame_reader::result end{};
  EXPECT_EQ(read_all(data, &end).size(), 2u);
  EXPECT_EQ(end, frame_reader::result::torn_tail);
}

TEST(wal_frame, corruption_counts_the_valid_frames_after_it) {
  std::string data = three_frames();
  data[15] ^= 0x01;  // inside the first frame's payload
  frame_reader r(data);
  frame f;
  ASSERT_EQ(r.next(f), frame_reader::result::corrupt);
  EXPECT_EQ(r.frames_after_damage(), 2u);
  EXPECT_FALSE(r.reason().empty());
}

}  // namespace
}  // namespace livekv::wal
