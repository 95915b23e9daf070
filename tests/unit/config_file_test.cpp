#include "livekv/config_file.hpp"

#include <gtest/gtest.h>

namespace livekv {
namespace {

TEST(config_file, reads_name_value_lines_and_skips_comments_and_blanks) {
  auto e = parse_config_file("# a comment\n\n  port = 8080\r\ndata-dir=/var/lib/livekv\n   # indented comment\n");
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[0].name, "port");
  EXPECT_EQ((*e)[0].value, "8080");
  EXPECT_EQ((*e)[0].line, 3u);
  EXPECT_EQ((*e)[1].name, "data-dir");
  EXPECT_EQ((*e)[1].value, "/var/lib/livekv");
  EXPECT_EQ((*e)[1].line, 4u);
}

TEST(config_file, a_hash_inside_a_value_is_part_of_it) {
  auto e = parse_config_file("access-log = /var/log/a#b.log\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->front().value, "/var/log/a#b.log");
}

TEST(config_file, quoted_values_keep_spaces_and_unescape) {
  auto e = parse_config_file("data-dir = \"/srv/my data\"\nhost = \"say \\\"hi\\\" \\\\\"\nempty = \"\"\n");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ((*e)[0].value, "/srv/my data");
  EXPECT_EQ((*e)[1].value, "say \"hi\" \\");
  EXPECT_EQ((*e)[2].value, "");
}

TEST(config_file, repeated_names_are_all_kept) {
  auto e = parse_config_file("cors-origin = http://a\ncors-origin = http://b\n");
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[1].value, "http://b");
}

TEST(config_file, malformed_lines_are_refused_with_their_line_number) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"port 8080\n", "line 1: expected 'name = value', got 'port 8080'"},
      {"# ok\n[server]\n", "line 2: sections are not used"},
      {"\n\nPort = 1\n", "line 3: 'Port' is not a setting name"},
      {" = 1\n", "line 1: '' is not a setting name"},
      {"host = \"open\n", "line 1: the quoted value of host does not end in '\"'"},
      {"host = \"a\" b\n", "line 1: the quoted value of host does not end in '\"'"},
      {"host = \"a\\nb\"\n", "line 1: the quoted value of host does not end in '\"'"},
  };
  for (const auto& c : cases) {
    auto e = parse_config_file(c.text);
    ASSERT_FALSE(e) << c.text;
    EXPECT_EQ(e.error().message().rfind(c.message, 0), 0u) << e.error().message();
  }
}

}  // namespace
}  // namespace livekv
