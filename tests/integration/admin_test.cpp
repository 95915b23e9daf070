// /status, /healthz and /readyz on a serving server.
#include <gtest/gtest.h>

#include <string>

#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class admin_test : public server_test {
 protected:
  admin_test() : server_test({"--max-key-bytes", "512", "--threads", "2"}) {}
};

TEST_F(admin_test, status_reports_store_counters_and_the_config_with_the_bound_port) {
  ASSERT_EQ(client().put("/v1/kv/ab", "12345").status, 201);
  ASSERT_EQ(client().put("/v1/kv/c", "x").status, 201);
  const auto res = client().get("/status");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  const auto j = res.json();
  ASSERT_TRUE(j.is_object()) << res;
  EXPECT_TRUE(j["version"].is_string() && !j["version"].get<std::string>().empty()) << res;
  EXPECT_TRUE(j["uptime_seconds"].is_number() && j["uptime_seconds"] >= 0) << res;
  EXPECT_EQ(j["keys"], 2);
  EXPECT_EQ(j["bytes"], 2 + 5 + 1 + 1) << "key bytes plus value bytes";
  EXPECT_EQ(j["revision"], 2);
  EXPECT_EQ(j["ready"], true);
  EXPECT_EQ(j["draining"], false);
  const auto& cfg = j["config"];
  ASSERT_TRUE(cfg.is_object()) << res;
  EXPECT_EQ(cfg["port"], server_.port()) << "the port actually bound, not the 0 asked for";
  EXPECT_EQ(cfg["host"], "127.0.0.1");
  EXPECT_EQ(cfg["data_dir"], server_.data_dir().string());
  EXPECT_EQ(cfg["max_key_bytes"], 512);
  EXPECT_EQ(cfg["threads"], 2);
}

TEST_F(admin_test, status_counts_open_connections) {
  auto second = new_client();
  ASSERT_EQ(second->get("/healthz").status, 200);
  const auto j = client().get("/status").json();
  EXPECT_EQ(j["connections"], 2);
  EXPECT_EQ(j["connections_total"], 2);
}

TEST_F(admin_test, healthz_answers_200) {
  const auto res = client().get("/healthz");
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.json()["status"], "ok");
}

TEST_F(admin_test, readyz_answers_200_while_serving) {
  const auto res = client().get("/readyz");
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.json()["status"], "ready");
}

TEST_F(admin_test, admin_routes_allow_only_get_and_head) {
  for (const char* target : {"/status", "/healthz", "/readyz"}) {
    const auto res = client().request(verb::delete_, target);
    EXPECT_TRUE(is_problem(res, 405, "method_not_allowed")) << target;
    EXPECT_EQ(res.header("Allow"), "GET, HEAD") << target;
    EXPECT_EQ(client().head(target).status, 200) << target;
  }
}

}  // namespace
}  // namespace livekv::test
