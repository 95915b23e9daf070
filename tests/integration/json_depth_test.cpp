// JSON nested deeper than the server accepts is a 400 naming the limit, on every route that parses
// JSON, and never reaches the parser: a 131 KB body nested 65,000 levels deep once overflowed the
// stack and killed the process (the bodies below are the ones that did it).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "support/server_fixture.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using nlohmann::json;

constexpr std::size_t crash_depth = 65000;

std::string nested_array(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

class json_depth_test : public server_test {
 protected:
  http_response post(std::string_view target, std::string body) {
    return client().request(verb::post, target, std::move(body), {{"Content-Type", "application/json"}});
  }
  // The server still answers, and its store is intact.
  void expect_alive() {
    ASSERT_EQ(client().put("/v1/kv/after", "still here").status, 201);
    EXPECT_EQ(client().get("/v1/kv/after").body, "still here");
  }
};

testing::AssertionResult names_the_limit(const http_response& res) {
  if (auto p = is_problem(res, 400, "bad_json"); !p) return p;
  const auto detail = res.json()["detail"].get<std::string>();
  if (detail.find("deeper than 64 levels") == std::string::npos)
    return testing::AssertionFailure() << "detail does not name the limit: " << detail;
  return testing::AssertionSuccess();
}

TEST_F(json_depth_test, a_batch_body_nested_65000_deep_is_400_and_the_server_lives) {
  const auto res = post("/v1/batch", "{\"zzz\":" + nested_array(crash_depth) + ",\"ops\":[]}");
  EXPECT_TRUE(names_the_limit(res));
  expect_alive();
}

TEST_F(json_depth_test, a_cas_body_nested_65000_deep_is_400_and_the_server_lives) {
  const auto res = post("/v1/cas/k", "{\"expected\":" + nested_array(crash_depth) + ",\"new\":\"x\"}");
  EXPECT_TRUE(names_the_limit(res));
  expect_alive();
}

TEST_F(json_depth_test, a_watch_keys_body_nested_too_deep_is_400) {
  EXPECT_TRUE(names_the_limit(post("/v1/watch", "[" + nested_array(crash_depth) + "]")));
  expect_alive();
}

TEST_F(json_depth_test, nesting_up_to_the_limit_reaches_the_parser_and_one_more_level_does_not) {
  // 64 levels in all (the object, then 63 arrays): parsed, then refused for its unknown member.
  const auto at_limit = post("/v1/batch", "{\"zzz\":" + nested_array(63) + ",\"ops\":[]}");
  ASSERT_TRUE(is_problem(at_limit, 400, "bad_json"));
  EXPECT_NE(at_limit.json()["detail"].get<std::string>().find("unknown member 'zzz'"), std::string::npos)
      << at_limit.body;
  EXPECT_TRUE(names_the_limit(post("/v1/batch", "{\"zzz\":" + nested_array(64) + ",\"ops\":[]}")));
}

TEST_F(json_depth_test, brackets_inside_strings_do_not_count_as_nesting) {
  const std::string deep_text(1000, '[');
  const auto res = post("/v1/batch", json{{"ops", {{{"op", "put"}, {"key", "k"}, {"value", deep_text}}}}}.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(client().get("/v1/kv/k").body, deep_text);
}

TEST_F(json_depth_test, a_deep_feed_client_message_gets_an_error_message_not_a_crash) {
  ws_client ws(server_.port());
  ASSERT_EQ(ws.connect("/wal").status, 101);
  // The feed's own messages (progress) may come first: wait for the answer to ours.
  const auto answer = [&]() -> std::optional<json> {
    for (int i = 0; i < 100; ++i) {
      auto m = ws.read_event();
      if (!m || (*m)["op"] == "error" || (*m)["op"] == "pong") return m;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(ws.send_text("{\"op\":" + nested_array(2000) + "}"));
  const auto reply = answer();
  ASSERT_TRUE(reply) << ws.error();
  EXPECT_EQ((*reply)["op"], "error");
  ASSERT_TRUE(ws.send_text(R"({"op":"ping"})"));
  const auto pong = answer();
  ASSERT_TRUE(pong) << ws.error();
  EXPECT_EQ((*pong)["op"], "pong");
  ws.close();
  expect_alive();
}

}  // namespace
}  // namespace livekv::test
