#include "livekv/handlers/request_helpers.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "livekv/util/base64.hpp"

namespace livekv::handlers {
namespace {

TEST(request_helpers, ttl_accepts_positive_decimal_seconds) {
  EXPECT_EQ(*parse_ttl("30"), 30'000);
  EXPECT_EQ(*parse_ttl("0.25"), 250);
  EXPECT_EQ(*parse_ttl("0.0001"), 1);  // rounds up: never an immediate expiry
}

TEST(request_helpers, ttl_rejects_zero_negative_junk_and_huge) {
  for (const char* bad : {"0", "-1", "", "abc", "1e3", "inf", "nan", "0x10", "1 ", "999999999999"})
    EXPECT_FALSE(parse_ttl(bad)) << bad;
  EXPECT_EQ(parse_ttl("0").error().code(), errc::bad_query);
}

TEST(request_helpers, ttl_in_json_must_be_a_positive_number) {
  EXPECT_EQ(*parse_ttl_json(nlohmann::ordered_json(1.5)), 1500);
  EXPECT_FALSE(parse_ttl_json(nlohmann::ordered_json("10")));
  EXPECT_FALSE(parse_ttl_json(nlohmann::ordered_json(-3)));
  EXPECT_EQ(parse_ttl_json(nlohmann::ordered_json(0)).error().code(), errc::bad_json);
}

TEST(request_helpers, if_match_parses_star_and_one_strong_tag) {
  EXPECT_TRUE(parse_if_match("*")->any);
  EXPECT_EQ(parse_if_match("\"42\"")->revision, 42u);
  EXPECT_EQ(parse_if_match(" \"7\" ")->revision, 7u);
  EXPECT_FALSE(parse_if_match("W/\"42\"")->revision);  // weak never matches
  EXPECT_FALSE(parse_if_match("\"abc\"")->revision);
  EXPECT_FALSE(parse_if_match("42"));
  EXPECT_FALSE(parse_if_match("\"1\", \"2\""));
}

TEST(request_helpers, if_none_match_lists_compare_weakly) {
  EXPECT_TRUE(etag_list_matches("\"1\", \"5\"", "\"5\""));
  EXPECT_TRUE(etag_list_matches("W/\"5\"", "\"5\""));
  EXPECT_TRUE(etag_list_matches("*", "\"5\""));
  EXPECT_FALSE(etag_list_matches("\"55\"", "\"5\""));
}

TEST(request_helpers, values_round_trip_through_json_as_text_or_base64) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  set_value_member(j, "value", "plain");
  set_value_member(j, "other", std::string("\xff\x00", 2));
  EXPECT_EQ(j["value"], "plain");
  EXPECT_EQ(j["other_base64"], "/wA=");
  EXPECT_EQ(**value_member(j, "value", "t"), "plain");
  EXPECT_EQ(**value_member(j, "other", "t"), std::string("\xff\x00", 2));
  EXPECT_FALSE(*value_member(j, "missing", "t"));
  nlohmann::ordered_json bad = {{"value", 5}};
  EXPECT_FALSE(value_member(bad, "value", "t"));
  nlohmann::ordered_json both = {{"value", "a"}, {"value_base64", "YQ=="}};
  EXPECT_FALSE(value_member(both, "value", "t"));
}

TEST(request_helpers, base64_decode_inverts_encode_and_rejects_junk) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(util::base64_decode(util::base64_encode(s)), s);
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zg=", "Zg==Zg=="}) EXPECT_FALSE(util::base64_decode(bad)) << bad;
}

TEST(request_helpers, remaining_time_formats_as_seconds_with_milliseconds) {
  EXPECT_EQ(format_seconds(1500), "1.500");
  EXPECT_EQ(format_seconds(7), "0.007");
  EXPECT_EQ(format_seconds(-5), "0.000");
}

}  // namespace
}  // namespace livekv::handlers
