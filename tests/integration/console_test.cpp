// GET / on the real binary: the embedded web console and the headers it depends on. What the page
// does in a browser is tested in tests/browser.
#include <gtest/gtest.h>

#include <string>

#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class console_test : public server_test {};

TEST_F(console_test, root_serves_the_console_as_uncached_html_under_a_strict_policy) {
  const auto res = client().get("/");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(res.header("Cache-Control"), "no-cache");
  EXPECT_EQ(res.header("X-Content-Type-Options"), "nosniff");
  const std::string csp = res.header("Content-Security-Policy");
  EXPECT_TRUE(csp.starts_with("default-src 'none';")) << csp;
  EXPECT_NE(csp.find("script-src 'sha256-"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'sha256-"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_TRUE(res.body.starts_with("<!doctype html>"));
  EXPECT_NE(res.body.find("id=\"feed-table\""), std::string::npos);
  EXPECT_FALSE(res.header("KV-Revision").empty()) << "every response carries the store revision";
}

TEST_F(console_test, head_reports_the_pages_length_without_a_body) {
  const auto get = client().get("/");
  const auto head = client().head("/");
  ASSERT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("Content-Security-Policy"), get.header("Content-Security-Policy"));
}

TEST_F(console_test, other_methods_on_root_are_405) {
  const auto res = client().request(verb::post, "/", "x");
  EXPECT_TRUE(is_problem(res, 405, "method_not_allowed")) << res;
  EXPECT_EQ(res.header("Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace livekv::test
