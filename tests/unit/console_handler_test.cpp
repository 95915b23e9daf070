// The console handler called directly, and the embedded page checked against the rules its
// Content-Security-Policy depends on. (That the browser accepts the hash is proved by the real
// browser in tests/browser.)
#include "livekv/handlers/console_handler.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "livekv/handlers/console_page.hpp"

namespace livekv::handlers {
namespace {

http::response get_page(const console_handler& h) {
  http::request req{http::verb::get, "/", 11};
  http::request_context ctx{req, "/", "", "", "127.0.0.1:1", {}, {}, {}, {}, {}, {}, {}};
  return h.page(ctx);
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(console_handler_test, serves_the_embedded_page_as_uncached_html) {
  const console_handler h;
  const auto res = get_page(h);
  EXPECT_EQ(res.result(), http::status_code::ok);
  EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[http::field::cache_control], "no-cache");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res.body().view(), console_page());
  EXPECT_TRUE(console_page().starts_with("<!doctype html>"));
}

TEST(console_handler_test, policy_lets_only_the_pages_own_script_and_style_sheet_in) {
  const console_handler h;
  const auto res = get_page(h);
  const std::string csp(res["Content-Security-Policy"]);
  EXPECT_EQ(csp, h.content_security_policy());
  for (const auto hash : {console_script_hash(), console_style_hash()})
    EXPECT_TRUE(std::regex_match(std::string(hash), std::regex("sha256-[A-Za-z0-9+/]{43}="))) << hash;
  EXPECT_NE(console_script_hash(), console_style_hash());
  EXPECT_TRUE(csp.starts_with("default-src 'none';")) << csp;
  EXPECT_NE(csp.find("script-src '" + std::string(console_script_hash()) + "';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src '" + std::string(console_style_hash()) + "';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(csp.find("base-uri 'none'"), std::string::npos);
  // No 'unsafe-inline', 'unsafe-eval' or the like anywhere, and no 'self' for what runs or styles:
  // this origin serves stored values under any type their writers chose.
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  for (const std::string directive : {"script-src", "style-src"}) {
    const auto from = csp.find(directive);
    ASSERT_NE(from, std::string::npos) << csp;
    EXPECT_EQ(csp.substr(from, csp.find(';', from) - from).find("'self'"), std::string::npos) << csp;
  }
}

TEST(console_handler_test, page_has_one_script_one_style_sheet_and_no_inline_handlers_or_styles) {
  const auto page = console_page();
  EXPECT_EQ(count(page, "<script"), 1u);
  EXPECT_EQ(count(page, "<style"), 1u);
  // The policy blocks handlers in attributes (onclick="..."): they must be attached by the script.
  // The markup before the script, without its comments (which may well talk about onclick=).
  const std::string markup = std::regex_replace(std::string(page.substr(0, page.find("<script>"))),
                                                std::regex("<!--[\\s\\S]*?-->"), "");
  EXPECT_FALSE(std::regex_search(markup, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)));
  // Nor style attributes: the policy allows only the one style sheet, by its hash.
  EXPECT_FALSE(std::regex_search(markup, std::regex(R"(\sstyle\s*=)", std::regex::icase)));
  EXPECT_EQ(markup.find("javascript:"), std::string::npos);
  // Nothing is fetched from elsewhere.
  EXPECT_EQ(count(page, "http://") + count(page, "https://") + count(page, "src=\"//"), 0u);
}

TEST(console_handler_test, root_route_serves_get_and_head) {
  console_handler h;
  http::router r;
  h.register_routes(r);
  EXPECT_NE(r.find(http::verb::get, "/").target, nullptr);
  EXPECT_NE(r.find(http::verb::head, "/").target, nullptr);
  EXPECT_EQ(r.find(http::verb::post, "/").error, errc::method_not_allowed);
  EXPECT_EQ(r.find(http::verb::get, "/index.html").error, errc::route_not_found);
}

}  // namespace
}  // namespace livekv::handlers
