// What keeps a web page from using a livekv it should not: CORS for the origins given with
// --cors-origin (preflight answered 204 with the Allow-* headers; responses, SSE included, carry
// Access-Control-Allow-Origin and expose the API's headers), a foreign Origin refused with 403
// before anything happens (PUT, a text/plain batch, SSE, the WebSocket upgrade: nothing written),
// and the Host check against DNS rebinding (421 for names other than the loopback ones, or those
// of --allowed-host). Clients that send no Origin (curl, SDKs) are not affected.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/auth_file.hpp"
#include "support/kv_state.hpp"
#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using nlohmann::json;

constexpr const char* app_origin = "http://app.example:3000";
constexpr const char* evil_origin = "http://evil.example";

class browser_safety_test : public server_test {
 protected:
  explicit browser_safety_test(std::vector<std::string> args = {"--cors-origin", app_origin}, env_vars env = {})
      : server_test(std::move(args), std::move(env)) {}

  std::string own_origin() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  http_response preflight(const std::string& target, const std::string& origin, const std::string& method = "PUT") {
    return client().request(verb::options, target, {},
                            {{"Origin", origin},
                             {"Access-Control-Request-Method", method},
                             {"Access-Control-Request-Headers", "authorization, if-match"}});
  }
};

TEST_F(browser_safety_test, a_preflight_from_an_allowed_origin_is_answered_204_with_the_allow_headers) {
  const auto res = preflight("/v1/kv/app/k", app_origin);
  ASSERT_EQ(res.status, 204) << res;
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), app_origin) << res;
  const auto methods = res.header("Access-Control-Allow-Methods");
  for (const char* m : {"GET", "PUT", "DELETE"}) EXPECT_NE(methods.find(m), std::string::npos) << m << "\n" << res;
  const auto headers = res.header("Access-Control-Allow-Headers");
  EXPECT_NE(headers.find("Authorization"), std::string::npos) << res;
  EXPECT_NE(headers.find("If-Match"), std::string::npos) << res;
  EXPECT_FALSE(res.header("Access-Control-Max-Age").empty()) << res;
  EXPECT_NE(res.header("Vary").find("Origin"), std::string::npos) << res;
  EXPECT_TRUE(res.body.empty()) << res;
}

TEST_F(browser_safety_test, a_preflight_from_another_origin_is_403) {
  const auto res = preflight("/v1/kv/app/k", evil_origin);
  EXPECT_TRUE(is_problem(res, 403, "origin_not_allowed"));
  EXPECT_FALSE(res.headers.contains("Access-Control-Allow-Origin")) << res;
}

TEST_F(browser_safety_test, responses_to_an_allowed_origin_carry_the_cors_headers) {
  const auto put = client().put("/v1/kv/k", "v", {{"Origin", app_origin}});
  ASSERT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.header("Access-Control-Allow-Origin"), app_origin) << put;
  const auto get = client().get("/v1/kv/k", {{"Origin", app_origin}});
  ASSERT_EQ(get.status, 200) << get;
  EXPECT_EQ(get.header("Access-Control-Allow-Origin"), app_origin) << get;
  const auto exposed = get.header("Access-Control-Expose-Headers");
  for (const char* h : {"ETag", "KV-Revision", "KV-Mod-Revision", "X-Request-Id"})
    EXPECT_NE(exposed.find(h), std::string::npos) << h << "\n" << get;
  EXPECT_NE(get.header("Vary").find("Origin"), std::string::npos) << get;
  const auto missing = client().get("/v1/kv/none", {{"Origin", app_origin}});
  EXPECT_EQ(missing.header("Access-Control-Allow-Origin"), app_origin) << "errors are readable too\n" << missing;
}

TEST_F(browser_safety_test, requests_without_origin_or_from_our_own_origin_get_no_cors_headers) {
  const auto plain = client().put("/v1/kv/k", "v");
  EXPECT_EQ(plain.status, 201) << plain;
  EXPECT_FALSE(plain.headers.contains("Access-Control-Allow-Origin")) << plain;
  const auto own = client().put("/v1/kv/k", "w", {{"Origin", own_origin()}});
  EXPECT_EQ(own.status, 200) << own;
  EXPECT_FALSE(own.headers.contains("Access-Control-Allow-Origin")) << own;
  const auto localhost = client().get("/v1/kv/k", {{"Host", "localhost:" + std::to_string(server_.port())},
                                                   {"Origin", "http://localhost:" + std::to_string(server_.port())}});
  EXPECT_EQ(localhost.status, 200) << localhost;
}

TEST_F(browser_safety_test, a_put_from_a_foreign_origin_is_403_and_writes_nothing) {
  const auto res = client().put("/v1/kv/k", "v", {{"Origin", evil_origin}});
  EXPECT_TRUE(is_problem(res, 403, "origin_not_allowed"));
  EXPECT_EQ(client().get("/v1/kv/k").status, 404);
  EXPECT_EQ(current_revision(), 0u);
  // Our own origin on another port is another origin.
  const auto other_port = client().put("/v1/kv/k", "v", {{"Origin", "http://127.0.0.1:1"}});
  EXPECT_TRUE(is_problem(other_port, 403, "origin_not_allowed"));
  EXPECT_EQ(client().get("/v1/kv/k").status, 404);
}

TEST_F(browser_safety_test, a_text_plain_batch_from_a_foreign_origin_is_403_and_writes_nothing) {
  // A form or fetch() in no-cors mode may send this without a preflight.
  const auto res = client().request(verb::post, "/v1/batch",
                                    R"({"ops": [{"op": "put", "key": "k", "value": "v"}]})",
                                    {{"Origin", evil_origin}, {"Content-Type", "text/plain"}});
  EXPECT_TRUE(is_problem(res, 403, "origin_not_allowed"));
  EXPECT_EQ(client().get("/v1/kv/k").status, 404);
  EXPECT_EQ(current_revision(), 0u);
}

TEST_F(browser_safety_test, an_sse_watch_from_a_foreign_origin_is_403) {
  sse_reader reader(server_.port());
  EXPECT_TRUE(is_problem(reader.open("/v1/watch", {{"Origin", evil_origin}}), 403, "origin_not_allowed"));
}

TEST_F(browser_safety_test, an_sse_watch_from_an_allowed_origin_carries_the_cors_header) {
  sse_reader reader(server_.port());
  const auto res = reader.open("/v1/watch?prefix=k", {{"Origin", app_origin}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), app_origin) << res;
  EXPECT_NE(res.header("Access-Control-Expose-Headers").find("KV-Revision"), std::string::npos) << res;
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto block = reader.read_event();
  ASSERT_TRUE(block) << reader.error();
}

TEST_F(browser_safety_test, a_websocket_upgrade_from_a_foreign_origin_is_403) {
  ws_client ws(server_.port(), ws_options::with_headers({{"Origin", evil_origin}}));
  const auto res = ws.connect("/wal");
  EXPECT_TRUE(is_problem(res, 403, "origin_not_allowed"));
  EXPECT_FALSE(ws.is_open());
  ws_client allowed(server_.port(), ws_options::with_headers({{"Origin", app_origin}}));
  EXPECT_EQ(allowed.connect("/wal").status, 101);
}

TEST_F(browser_safety_test, a_foreign_host_is_421_and_the_loopback_names_are_served) {
  const auto res = client().put("/v1/kv/k", "v", {{"Host", "attacker.example"}});
  EXPECT_TRUE(is_problem(res, 421, "host_not_allowed"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k", {{"Host", "attacker.example:" + std::to_string(server_.port())}}),
                         421, "host_not_allowed"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k", {{"Host", "localhost.attacker.example"}}), 421, "host_not_allowed"));
  EXPECT_EQ(client().get("/v1/kv/k").status, 404) << "nothing was written";
  for (const char* host : {"localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8080"}) {
    SCOPED_TRACE(host);
    EXPECT_EQ(client().get("/v1/kv/k", {{"Host", host}}).status, 404);
  }
}

TEST_F(browser_safety_test, a_foreign_host_is_421_on_streams_too) {
  // An event-stream request by hand (the SSE reader always names 127.0.0.1).
  raw_socket raw(server_.port());
  ASSERT_TRUE(raw.connected()) << raw.error();
  ASSERT_TRUE(raw.send("GET /v1/watch HTTP/1.1\r\nHost: attacker.example\r\nAccept: text/event-stream\r\n\r\n"));
  EXPECT_TRUE(is_problem(raw.read_response(), 421, "host_not_allowed"));
  ws_client ws(server_.port(), ws_options::with_headers({{"Host", "attacker.example"}}));
  EXPECT_TRUE(is_problem(ws.connect("/wal"), 421, "host_not_allowed"));
}

class allowed_host_test : public browser_safety_test {
 protected:
  allowed_host_test() : browser_safety_test({"--allowed-host", "kv.internal", "--allowed-host", "127.0.0.1"}) {}
};

TEST_F(allowed_host_test, allowed_host_replaces_the_loopback_defaults) {
  EXPECT_EQ(client().get("/healthz", {{"Host", "kv.internal"}}).status, 200);
  EXPECT_EQ(client().get("/healthz", {{"Host", "kv.internal:8080"}}).status, 200);
  EXPECT_EQ(client().get("/healthz").status, 200) << "127.0.0.1 was named too";
  EXPECT_TRUE(is_problem(client().get("/healthz", {{"Host", "localhost"}}), 421, "host_not_allowed"));
  EXPECT_TRUE(is_problem(client().get("/healthz", {{"Host", "attacker.example"}}), 421, "host_not_allowed"));
}

class any_host_test : public browser_safety_test {
 protected:
  any_host_test() : browser_safety_test({"--allowed-host", "*"}) {}
};

TEST_F(any_host_test, allowed_host_star_serves_any_host) {
  EXPECT_EQ(client().get("/healthz", {{"Host", "attacker.example"}}).status, 200);
  EXPECT_EQ(client().get("/healthz", {{"Host", "kv.example.com:443"}}).status, 200);
}

class cors_env_test : public browser_safety_test {
 protected:
  cors_env_test() : browser_safety_test({}, {{"LIVEKV_CORS_ORIGIN", "http://a.example,https://b.example:8443"}}) {}
};

TEST_F(cors_env_test, livekv_cors_origin_takes_a_comma_separated_list) {
  EXPECT_EQ(preflight("/v1/kv/k", "http://a.example").header("Access-Control-Allow-Origin"), "http://a.example");
  EXPECT_EQ(preflight("/v1/kv/k", "https://b.example:8443").header("Access-Control-Allow-Origin"),
            "https://b.example:8443");
  EXPECT_TRUE(is_problem(preflight("/v1/kv/k", "https://b.example"), 403, "origin_not_allowed"));
  EXPECT_TRUE(is_problem(client().put("/v1/kv/k", "v", {{"Origin", "http://c.example"}}), 403, "origin_not_allowed"));
}

class cors_with_auth_test : protected auth_file, public browser_safety_test {
 protected:
  cors_with_auth_test()
      : auth_file({{"page", {"read", "write"}}}),
        browser_safety_test({"--cors-origin", app_origin, "--auth-file", auth_path().string()}) {}
};

TEST_F(cors_with_auth_test, a_preflight_needs_no_token_and_a_refusal_is_readable_by_the_page) {
  const auto pre = preflight("/v1/kv/k", app_origin);
  EXPECT_EQ(pre.status, 204) << "browsers send no credentials on a preflight\n" << pre;
  const auto refused = client().get("/v1/kv/k", {{"Origin", app_origin}});
  EXPECT_TRUE(is_problem(refused, 401, "unauthorized"));
  EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), app_origin) << refused;
  auto headers = bearer("page");
  headers.emplace_back("Origin", app_origin);
  const auto put = client().put("/v1/kv/k", "v", headers);
  EXPECT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.header("Access-Control-Allow-Origin"), app_origin) << put;
  // A foreign origin is refused before the token is looked at.
  auto evil = bearer("page");
  evil.emplace_back("Origin", evil_origin);
  EXPECT_TRUE(is_problem(client().put("/v1/kv/k", "w", evil), 403, "origin_not_allowed"));
  EXPECT_EQ(client().get("/v1/kv/k", bearer("page")).body, "v");
}

TEST_F(cors_with_auth_test, an_sse_stream_to_an_allowed_origin_with_access_token_carries_the_cors_header) {
  sse_reader reader(server_.port());
  const auto res =
      reader.open("/v1/watch?access_token=" + query_escape(token_named("page").token), {{"Origin", app_origin}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Access-Control-Allow-Origin"), app_origin) << res;
}

}  // namespace
}  // namespace livekv::test
