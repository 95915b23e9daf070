#include "livekv/http/uri.hpp"

#include <gtest/gtest.h>

namespace livekv::http {
namespace {

TEST(uri, percent_decode_decodes_escapes_in_either_case) {
  EXPECT_EQ(percent_decode("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(percent_decode("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(uri, plus_is_a_literal_plus) { EXPECT_EQ(percent_decode("a+b"), "a+b"); }

TEST(uri, malformed_escapes_are_rejected) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("a%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%G0"));
}

TEST(uri, encode_then_decode_round_trips_any_bytes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(percent_decode(percent_encode_path(all)), all);
  EXPECT_EQ(percent_encode_path("a b/c"), "a%20b/c");
}

TEST(uri, split_target_separates_path_and_query) {
  auto t = split_target("/v1/kv?prefix=a&limit=2");
  EXPECT_EQ(t.path, "/v1/kv");
  EXPECT_EQ(t.query, "prefix=a&limit=2");
  auto u = split_target("/v1/kv/a");
  EXPECT_EQ(u.path, "/v1/kv/a");
  EXPECT_EQ(u.query, "");
}

TEST(uri, parse_query_decodes_names_and_values_in_order) {
  auto q = parse_query("prefix=a%2Fb&values&limit=&&x=1=2");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"prefix", "a/b"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"values", ""}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"limit", ""}));
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"x", "1=2"}));
}

TEST(uri, parse_query_rejects_bad_escapes) {
  auto q = parse_query("prefix=%zz");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), errc::bad_query);
}

}  // namespace
}  // namespace livekv::http
