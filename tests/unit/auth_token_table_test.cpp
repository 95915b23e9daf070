// The --auth-file tokens: the file's format and its errors, authentication by hash, and scopes.
#include "livekv/auth/token_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace livekv::auth {
namespace {

std::string entry(const std::string& name, const std::string& token, const std::string& roles,
                  const std::string& prefixes = "") {
  std::string e = R"({"name": ")" + name + R"(", "token_sha256": ")" + to_hex(sha256(token)) + R"(", "roles": )" + roles;
  if (!prefixes.empty()) e += R"(, "prefixes": )" + prefixes;
  return e + "}";
}

TEST(token_hash, sha256_matches_the_standard_test_vector) {
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(token_hash, hex_round_trips_and_refuses_anything_but_64_hex_digits) {
  const auto d = sha256("x");
  EXPECT_EQ(digest_from_hex(to_hex(d)), d);
  std::string upper = to_hex(d);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(digest_from_hex(upper), d);
  EXPECT_FALSE(digest_from_hex(to_hex(d).substr(1)));
  EXPECT_FALSE(digest_from_hex(to_hex(d).substr(1) + "g"));
}

TEST(token_hash, new_tokens_are_43_url_safe_characters_and_differ) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto t = make_token();
    ASSERT_EQ(t.size(), 43u);
    EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(token_table, a_known_token_authenticates_as_its_entry_and_others_do_not) {
  const auto t = token_table::parse(
      "[" + entry("ci", "secret-ci", R"(["read", "write"])", R"(["app/"])") + ",\n" +
          entry("ops", "secret-ops", R"(["admin"])") + "]",
      "auth.json");
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->size(), 2u);
  const principal* ci = t->authenticate("secret-ci");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->name(), "ci");
  EXPECT_TRUE(ci->may(role::read));
  EXPECT_TRUE(ci->may(role::write));
  EXPECT_FALSE(ci->may(role::admin));
  ASSERT_NE(t->authenticate("secret-ops"), nullptr);
  EXPECT_EQ(t->authenticate("secret-ops")->name(), "ops");
  EXPECT_EQ(t->authenticate("secret-c"), nullptr);
  EXPECT_EQ(t->authenticate(""), nullptr);
  EXPECT_EQ(t->authenticate(to_hex(sha256("secret-ci"))), nullptr) << "the hash is not the token";
}

TEST(token_table, prefixes_decide_which_keys_and_which_listings) {
  const auto t = token_table::parse("[" + entry("a", "t", R"(["read"])", R"(["app/", "jobs/x"])") + "," +
                                        entry("all", "u", R"(["read"])") + "]",
                                    "f");
  ASSERT_TRUE(t) << t.error().message();
  const principal& a = *t->authenticate("t");
  EXPECT_TRUE(a.covers("app/1"));
  EXPECT_TRUE(a.covers("jobs/x7"));
  EXPECT_FALSE(a.covers("jobs/y"));
  EXPECT_FALSE(a.covers("ap"));
  EXPECT_EQ(a.scope_of("app/sub/"), listing_scope::all);
  EXPECT_EQ(a.scope_of("jobs/"), listing_scope::partial) << "jobs/x... only";
  EXPECT_EQ(a.scope_of(""), listing_scope::partial);
  EXPECT_EQ(a.scope_of("other/"), listing_scope::none);
  const principal& all = *t->authenticate("u");
  EXPECT_TRUE(all.covers("anything"));
  EXPECT_EQ(all.scope_of(""), listing_scope::all);
}

TEST(token_table, a_broken_file_is_refused_naming_the_file_the_line_or_entry_and_the_reason) {
  const auto bad_json = token_table::parse("[\n" + entry("a", "t", R"(["read"])") + ",\n  {oops}\n]", "auth.json");
  ASSERT_FALSE(bad_json);
  EXPECT_NE(bad_json.error().message().find("auth.json:3:"), std::string::npos) << bad_json.error().message();

  struct refused {
    std::string text;
    std::string says;
  };
  const refused cases[] = {
      {R"({"name": "x"})", "JSON array"},
      {"[" + entry("a", "t", R"(["read"])") + "," + entry("a", "u", R"(["read"])") + "]", "entry 2 (\"a\"): the name is used"},
      {"[" + entry("a", "t", R"(["read"])") + "," + entry("b", "t", R"(["read"])") + "]", "entry 2 (\"b\"): the token is used"},
      {"[" + entry("a", "t", R"(["root"])") + "]", "unknown role \"root\""},
      {"[" + entry("a", "t", R"([])") + "]", "roles must be a non-empty array"},
      {"[" + entry("a", "t", R"(["read"])", "[]") + "]", "prefixes must be a non-empty array"},
      {R"([{"name": "a", "token_sha256": "abc", "roles": ["read"]}])", "64 hex digits"},
      {R"([{"name": "a", "token": "plain", "roles": ["read"]}])", "unknown member 'token'"},
      {R"([{"token_sha256": "abc", "roles": ["read"]}])", "entry 1: name must be"},
  };
  for (const auto& c : cases) {
    const auto r = token_table::parse(c.text, "f.json");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message().find(c.says), std::string::npos) << r.error().message();
    EXPECT_EQ(r.error().message().rfind("f.json", 0), 0u) << r.error().message();
  }
}

// Found by the auth_file fuzz target: the JSON parser throws out_of_range, not parse_error, for a
// number no double holds, and it escaped parse(): at startup main reported a bare JSON error
// without the file's name, and a reload on SIGHUP would have thrown out of the signal handler.
TEST(token_table, a_number_too_large_for_a_double_is_refused_not_thrown) {
  const std::string texts[] = {"[1e999]", "[" + entry("a", "t", R"(["read"])") + ", -1e400]", "1E+999"};
  for (const auto& text : texts) {
    const auto r = token_table::parse(text, "f.json");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message().rfind("f.json: not valid JSON", 0), 0u) << r.error().message();
    EXPECT_NE(r.error().message().find("number overflow"), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace livekv::auth
