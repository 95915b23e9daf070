#include "livekv/http/problem.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace livekv::http {
namespace {

TEST(problem, body_is_rfc9457_with_stable_code) {
  auto res = make_problem(errc::key_not_found, "no key 'a'", 11);
  EXPECT_EQ(res.result(), status_code::not_found);
  EXPECT_EQ(res[field::content_type], "application/problem+json");
  auto j = nlohmann::json::parse(res.body().text);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "key_not_found");
  EXPECT_EQ(j["detail"], "no key 'a'");
  EXPECT_TRUE(j["title"].is_string());
  EXPECT_TRUE(j["type"].is_string());
}

TEST(problem, extra_members_are_merged) {
  nlohmann::ordered_json extra = {{"current_revision", 7}};
  auto res = make_problem(errc::precondition_failed, "x", 11, &extra);
  EXPECT_EQ(nlohmann::json::parse(res.body().text)["current_revision"], 7);
}

TEST(problem, invalid_utf8_in_detail_does_not_throw) {
  auto res = make_problem(errc::bad_key, "bad \xff key", 11);
  EXPECT_FALSE(nlohmann::json::parse(res.body().text, nullptr, false).is_discarded());
}

// The direct writer of the common case must say exactly what nlohmann would: compare them for
// every code and a detail with quotes, backslashes, controls and non-ASCII text.
TEST(problem, the_direct_body_is_the_json_the_general_path_writes) {
  const nlohmann::ordered_json none = nlohmann::ordered_json::object();
  for (int i = 1; i <= static_cast<int>(errc::internal); ++i) {
    const auto code = static_cast<errc>(i);
    const std::string detail = "key \"a\\b\"\n\t\b\f\r\x01\x1f caf\xc3\xa9 \xe2\x82\xac";
    const auto direct = make_problem(code, detail, 11);
    const auto general = make_problem(code, detail, 11, &none);  // an empty extra takes the nlohmann path
    EXPECT_EQ(direct.body().text, general.body().text) << problem_for(code).code;
    EXPECT_EQ(direct.result(), general.result());
    EXPECT_EQ(direct[field::content_type], general[field::content_type]);
  }
}

TEST(problem, every_error_code_has_a_unique_code_and_a_client_or_server_status) {
  std::set<std::string_view> codes;
  for (int i = 1; i <= static_cast<int>(errc::internal); ++i) {
    const auto& k = problem_for(static_cast<errc>(i));
    EXPECT_TRUE(codes.insert(k.code).second) << k.code;
    EXPECT_GE(static_cast<int>(k.http_status), 400);
  }
  // Bad input is never a 500: only errc::internal maps there.
  for (int i = 1; i < static_cast<int>(errc::internal); ++i)
    EXPECT_NE(problem_for(static_cast<errc>(i)).http_status, status_code::internal_server_error);
}

}  // namespace
}  // namespace livekv::http
