// net/request_guard without a token table: the Host check (DNS rebinding), the Origin check and
// the CORS preflight, the open routes, and the rate limit with its headers; the order of the
// checks (Host before Origin before rate).
#include "livekv/net/request_guard.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livekv::net {
namespace {

namespace bhttp = boost::beast::http;

const guard_settings loopback{{"http://app.example"}, {"localhost", "127.0.0.1", "[::1]"}, false};

class request_guard_test : public testing::Test {
 protected:
  request_guard_test() {
    routes_.exact(http::verb::get, "/healthz", http::access::open, [](http::request_context&) {
      return http::response{};
    });
    routes_.prefix(http::verb::get, "/v1/kv/", http::access::read, [](http::request_context&) {
      return http::response{};
    });
    routes_.prefix(http::verb::put, "/v1/kv/", http::access::write, [](http::request_context&) {
      return http::response{};
    });
  }

  request_guard::verdict check(const request_guard& g, http::verb method, const std::string& target,
                               std::initializer_list<std::pair<http::field, std::string>> fields) {
    http::request req{method, target, 11};
    for (const auto& [f, v] : fields) req.set(f, v);
    return g.check(req, routes_.find(method, target), "127.0.0.1");
  }

  static int status_of(const request_guard::verdict& v) {
    return v.refusal ? static_cast<int>(v.refusal->result_int()) : 0;
  }

  http::router routes_;
};

TEST_F(request_guard_test, only_the_allowed_host_names_pass_with_any_port) {
  const request_guard g(loopback, nullptr, nullptr);
  for (const char* host : {"localhost", "localhost:8080", "LocalHost", "127.0.0.1:1", "[::1]", "[::1]:8080"})
    EXPECT_FALSE(check(g, http::verb::get, "/v1/kv/k", {{http::field::host, host}}).refusal) << host;
  for (const char* host : {"attacker.example", "localhost.attacker.example", "127.0.0.2", "[::2]:80"})
    EXPECT_EQ(status_of(check(g, http::verb::get, "/v1/kv/k", {{http::field::host, host}})), 421) << host;
  EXPECT_FALSE(check(g, http::verb::get, "/v1/kv/k", {}).refusal) << "HTTP/1.0 may send no Host";
}

TEST_F(request_guard_test, no_allowed_hosts_or_a_star_allows_any) {
  EXPECT_FALSE(check(request_guard({{}, {}, false}, nullptr, nullptr), http::verb::get, "/v1/kv/k",
                     {{http::field::host, "anything.example"}})
                   .refusal);
  EXPECT_FALSE(check(request_guard({{}, {"kv.internal", "*"}, false}, nullptr, nullptr), http::verb::get,
                     "/v1/kv/k", {{http::field::host, "anything.example"}})
                   .refusal);
}

TEST_F(request_guard_test, an_origin_must_be_absent_our_own_or_allowed) {
  const request_guard g(loopback, nullptr, nullptr);
  const auto own = check(g, http::verb::put, "/v1/kv/k", {{http::field::host, "localhost:8080"}, {http::field::origin, "http://localhost:8080"}});
  EXPECT_FALSE(own.refusal);
  EXPECT_TRUE(own.admitted.cors_origin.empty()) << "our own origin needs no CORS headers";
  const auto allowed = check(g, http::verb::put, "/v1/kv/k", {{http::field::host, "localhost"}, {http::field::origin, "http://APP.example"}});
  EXPECT_FALSE(allowed.refusal);
  EXPECT_EQ(allowed.admitted.cors_origin, "http://APP.example") << "echoed as sent";
  for (const char* origin : {"http://evil.example", "https://localhost:8080", "http://localhost:8081", "null",
                             "http://app.example.evil.example"}) {
    const auto v = check(g, http::verb::put, "/v1/kv/k", {{http::field::host, "localhost:8080"}, {http::field::origin, origin}});
    EXPECT_EQ(status_of(v), 403) << origin;
  }
}

TEST_F(request_guard_test, the_host_is_checked_before_the_origin) {
  const request_guard g(loopback, nullptr, nullptr);
  EXPECT_EQ(status_of(check(g, http::verb::put, "/v1/kv/k",
                            {{http::field::host, "attacker.example"}, {http::field::origin, "http://attacker.example"}})),
            421) << "a rebound page's own origin does not make its Host ours";
}

TEST_F(request_guard_test, a_preflight_from_an_allowed_origin_gets_204_with_the_route_methods) {
  const request_guard g(loopback, nullptr, nullptr);
  const auto v = check(g, http::verb::options, "/v1/kv/k",
                       {{http::field::host, "localhost"},
                        {http::field::origin, "http://app.example"},
                        {http::field::access_control_request_method, "PUT"}});
  ASSERT_TRUE(v.refusal);
  const auto& res = *v.refusal;
  EXPECT_EQ(res.result_int(), 204u);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "http://app.example");
  EXPECT_NE(res[bhttp::field::access_control_allow_methods].find("PUT"), std::string::npos);
  EXPECT_NE(res[bhttp::field::access_control_allow_headers].find("Authorization"), std::string::npos);
  EXPECT_EQ(res[bhttp::field::vary], "Origin");
  EXPECT_FALSE(res[bhttp::field::access_control_max_age].empty());
}

TEST_F(request_guard_test, a_star_origin_answers_star) {
  const request_guard g({{"*"}, {}, false}, nullptr, nullptr);
  const auto v = check(g, http::verb::get, "/v1/kv/k", {{http::field::origin, "http://any.example"}});
  EXPECT_FALSE(v.refusal);
  EXPECT_EQ(v.admitted.cors_origin, "*");
}

TEST_F(request_guard_test, the_rate_limit_refuses_with_429_and_exempts_open_routes) {
  rate_limiter limiter(1.0 / 60, 2);
  const request_guard g(loopback, nullptr, &limiter);
  EXPECT_FALSE(check(g, http::verb::get, "/v1/kv/k", {}).refusal);
  EXPECT_FALSE(check(g, http::verb::get, "/v1/kv/k", {}).refusal);
  const auto refused = check(g, http::verb::get, "/v1/kv/k", {});
  ASSERT_EQ(status_of(refused), 429);
  EXPECT_FALSE(refused.refusal->at(bhttp::field::retry_after).empty());
  EXPECT_EQ(refused.refusal->at("RateLimit-Policy"), "\"client\";q=2;w=120");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(check(g, http::verb::get, "/healthz", {}).refusal);
}

TEST_F(request_guard_test, decorate_adds_cors_and_rate_headers_to_an_admitted_answer) {
  rate_limiter limiter(1.0, 10);
  const request_guard g(loopback, nullptr, &limiter);
  const auto v = check(g, http::verb::get, "/v1/kv/k", {{http::field::host, "localhost"}, {http::field::origin, "http://app.example"}});
  ASSERT_FALSE(v.refusal);
  http::response res{http::status_code::ok, 11};
  g.decorate(res, v.admitted);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "http://app.example");
  EXPECT_NE(res[bhttp::field::access_control_expose_headers].find("KV-Revision"), std::string::npos);
  EXPECT_EQ(res["RateLimit"], "\"client\";r=9;t=1");
  EXPECT_NE(g.cors_lines(v.admitted).find("Access-Control-Allow-Origin: http://app.example\r\n"), std::string::npos);
  EXPECT_TRUE(g.cors_lines(request_guard::pass{}).empty());
}

}  // namespace
}  // namespace livekv::net
