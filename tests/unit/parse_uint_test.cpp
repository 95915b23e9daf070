// util::parse_uint, the one parser of unsigned decimal text (flags, query parameters, entity tags,
// /proc fields, data-directory file names).
#include "livekv/util/parse_uint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace livekv::util {
namespace {

TEST(parse_uint, plain_digits_parse_whole) {
  EXPECT_EQ(parse_uint<std::uint64_t>("0"), 0u);
  EXPECT_EQ(parse_uint<std::uint64_t>("42"), 42u);
  EXPECT_EQ(parse_uint<std::uint64_t>("007"), 7u) << "leading zeros are digits (20-digit file names)";
  EXPECT_EQ(parse_uint<std::uint64_t>("18446744073709551615"), UINT64_MAX);
}

TEST(parse_uint, anything_but_digits_is_refused) {
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0", "1e3", "\n"})
    EXPECT_FALSE(parse_uint<std::uint64_t>(bad)) << "'" << bad << "'";
}

TEST(parse_uint, a_number_too_large_for_the_type_is_refused) {
  EXPECT_FALSE(parse_uint<std::uint64_t>("18446744073709551616"));
  EXPECT_EQ(parse_uint<std::uint16_t>("65535"), 65535u);
  EXPECT_FALSE(parse_uint<std::uint16_t>("65536"));
}

TEST(parse_uint, only_the_viewed_characters_count) {
  const std::string text = "12345";
  EXPECT_EQ(parse_uint<unsigned>(std::string_view(text).substr(1, 3)), 234u);
}

}  // namespace
}  // namespace livekv::util
