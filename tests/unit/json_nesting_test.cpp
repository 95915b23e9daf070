#include "livekv/util/json_nesting.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livekv::util {
namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(json_nesting, depth_up_to_the_limit_passes_and_one_more_level_exceeds) {
  EXPECT_FALSE(json_nesting_exceeds(nested(3), 3));
  EXPECT_TRUE(json_nesting_exceeds(nested(4), 3));
  EXPECT_FALSE(json_nesting_exceeds(nested(max_json_depth)));
  EXPECT_TRUE(json_nesting_exceeds(nested(max_json_depth + 1)));
}

TEST(json_nesting, objects_and_arrays_count_alike) {
  EXPECT_TRUE(json_nesting_exceeds(R"({"a":[{"b":[1]}]})", 3));
  EXPECT_FALSE(json_nesting_exceeds(R"({"a":[{"b":[1]}]})", 4));
}

TEST(json_nesting, siblings_do_not_add_up) {
  EXPECT_FALSE(json_nesting_exceeds("[[1],[2],[3],[4],[5]]", 2));
}

TEST(json_nesting, brackets_in_strings_are_text_even_after_escaped_quotes) {
  EXPECT_FALSE(json_nesting_exceeds(R"(["[[[[", "{{{{"])", 1));
  EXPECT_FALSE(json_nesting_exceeds(R"(["\"[[[[\\", "x"])", 1));
  // The escaped backslash ends before the quote, so the string ends and the brackets count.
  EXPECT_TRUE(json_nesting_exceeds(R"(["\\"[[[[]]]]])", 2));
}

TEST(json_nesting, closers_without_openers_do_not_hide_depth) {
  EXPECT_TRUE(json_nesting_exceeds("]]]]" + nested(3), 2));
}

}  // namespace
}  // namespace livekv::util
