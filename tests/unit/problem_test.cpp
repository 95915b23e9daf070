#include "livekv/http/problem.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace livekv::http {
namespace {

TEST(problem, body_is_rfc9457_with_stable_code) {
  auto res = make_problem(errc::key_not_found, "no key 'a'", 11);
  EXPECT_EQ(res.result(), status::not_found);
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

TEST(problem, every_error_code_has_a_unique_code_and_a_client_or_server_status) {
  std::set<std::string_view> codes;
  for (int i = 1; i <= static_cast<int>(errc::internal); ++i) {
    const auto& k = problem_for(static_cast<errc>(i));
    EXPECT_TRUE(codes.insert(k.code).second) << k.code;
    EXPECT_GE(static_cast<int>(k.http_status), 400);
  }
  // Bad input is never a 500: only errc::internal maps there.
  for (int i = 1; i < static_cast<int>(errc::internal); ++i)
    EXPECT_NE(problem_for(static_cast<errc>(i)).http_status, status::internal_server_error);
}

}  // namespace
}  // namespace livekv::http
