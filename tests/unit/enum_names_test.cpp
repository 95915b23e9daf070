// util::enum_names, the one table of words per word setting, through the three tables it serves.
#include "livekv/util/enum_names.hpp"

#include <gtest/gtest.h>

#include "livekv/util/log_settings.hpp"
#include "livekv/wal/fsync_policy.hpp"

namespace livekv::util {
namespace {

enum class colour { red, green, blue };
constexpr enum_names<colour, 3> colour_names{{"red", "green", "blue"}};

TEST(enum_names, every_word_parses_back_to_its_enumerator) {
  for (auto c : {colour::red, colour::green, colour::blue}) EXPECT_EQ(colour_names.parse(colour_names.to_string(c)), c);
  static_assert(colour_names.parse("green") == colour::green, "usable at compile time");
}

TEST(enum_names, other_text_is_refused_exactly) {
  EXPECT_FALSE(colour_names.parse(""));
  EXPECT_FALSE(colour_names.parse("Red")) << "case-sensitive";
  EXPECT_FALSE(colour_names.parse("red "));
  EXPECT_FALSE(colour_names.parse("re"));
}

TEST(enum_names, a_value_outside_the_table_has_no_word) {
  EXPECT_EQ(colour_names.to_string(static_cast<colour>(7)), "");
}

TEST(enum_names, the_list_reads_as_a_sentence) {
  EXPECT_EQ(colour_names.list(), "red, green or blue");
  constexpr enum_names<colour, 1> one{{"red"}};
  EXPECT_EQ(one.list(), "red");
}

TEST(enum_names, the_settings_keep_their_flag_spellings) {
  EXPECT_EQ(wal::to_string(wal::fsync_policy::always), "always");
  EXPECT_EQ(wal::to_string(wal::fsync_policy::everysec), "everysec");
  EXPECT_EQ(wal::to_string(wal::fsync_policy::no), "no");
  EXPECT_EQ(wal::parse_fsync_policy("everysec"), wal::fsync_policy::everysec);
  EXPECT_FALSE(wal::parse_fsync_policy("sometimes"));
  EXPECT_EQ(log_level_names.list(), "trace, debug, info, warn, error or off");
  EXPECT_EQ(parse_log_level("warn"), log_level::warn);
  EXPECT_EQ(to_string(log_level::error), "error");
  EXPECT_EQ(parse_log_format("json"), log_format::json);
  EXPECT_EQ(to_string(log_format::text), "text");
}

}  // namespace
}  // namespace livekv::util
