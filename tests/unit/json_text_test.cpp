// util::json_writer and util::append_json_escaped: the one room for JSON written by hand. The
// output is checked byte for byte and against nlohmann's parser, which every client resembles.
#include "livekv/util/json_text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace livekv::util {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  append_json_escaped(out, s);
  return out;
}

TEST(json_text, escapes_quotes_backslashes_and_control_characters) {
  EXPECT_EQ(escaped(R"(say "hi" \ bye)"), R"(say \"hi\" \\ bye)");
  EXPECT_EQ(escaped("a\nb\rc\td\be\ff"), R"(a\nb\rc\td\be\ff)");
  EXPECT_EQ(escaped(std::string("\x01\x1f\0", 3)), R"(\u0001\u001f\u0000)");
}

TEST(json_text, leaves_utf8_and_other_bytes_as_they_are) {
  EXPECT_EQ(escaped("caf\xc3\xa9 / \xe2\x82\xac \x7f"), "caf\xc3\xa9 / \xe2\x82\xac \x7f");
  EXPECT_EQ(escaped(""), "");
}

TEST(json_text, escaped_text_parses_back_to_the_original) {
  std::string all;
  for (int c = 1; c < 128; ++c) all += static_cast<char>(c);
  all += "\xc3\xa9";
  const auto j = nlohmann::json::parse("\"" + escaped(all) + "\"");
  EXPECT_EQ(j.get<std::string>(), all);
}

TEST(json_writer, places_commas_quotes_and_colons) {
  std::string out = "prefix:";  // appends, never replaces
  json_writer(out).begin_object().string("key", "a\"b").number("revision", 7).boolean("created", false).end_object();
  EXPECT_EQ(out, R"(prefix:{"key":"a\"b","revision":7,"created":false})");
}

TEST(json_writer, nests_objects_and_arrays_with_commas_only_between_siblings) {
  std::string out;
  json_writer w(out);
  w.begin_object().string("op", "batch").begin_array("ops");
  for (int i = 0; i < 3; ++i) {
    w.begin_object().number("i", static_cast<std::uint64_t>(i));
    if (i == 1) w.begin_object("prev").boolean("truncated", true).number("size", 9).end_object();
    w.end_object();
  }
  w.end_array().begin_array("none").end_array().begin_object("empty").end_object().end_object();
  EXPECT_EQ(out,
            R"({"op":"batch","ops":[{"i":0},{"i":1,"prev":{"truncated":true,"size":9}},{"i":2}],"none":[],"empty":{}})");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
}

TEST(json_writer, a_string_from_two_pieces_is_one_escaped_value) {
  std::string out;
  json_writer(out).begin_object().string("type", "urn:x:", "not \"found\"").end_object();
  EXPECT_EQ(out, R"({"type":"urn:x:not \"found\""})");
}

TEST(json_writer, numbers_cover_the_whole_unsigned_range) {
  std::string out;
  json_writer(out).begin_object().number("zero", 0).number("max", UINT64_MAX).end_object();
  EXPECT_EQ(out, R"({"zero":0,"max":18446744073709551615})");
}

}  // namespace
}  // namespace livekv::util
