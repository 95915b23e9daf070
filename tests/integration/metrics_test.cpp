// /metrics, X-Request-Id and the JSON request log, against the real binary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support/metrics_text.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

std::string access_log_path() {
  return (std::filesystem::temp_directory_path() / ("livekv-access-" + std::to_string(::getpid()) + ".log")).string();
}

class metrics_test : public server_test {
 protected:
  metrics_test()
      : server_test({"--log-format", "json", "--access-log", access_log_path(), "--fsync", "always"}) {}
  ~metrics_test() override { std::filesystem::remove(access_log_path()); }

  std::string scrape() {
    auto res = client().get("/metrics");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return res.body;
  }
};

TEST_F(metrics_test, request_counters_count_exactly_what_was_served) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client().put("/v1/kv/k" + std::to_string(i), "v").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k0", "w").status, 200);
  ASSERT_EQ(client().get("/v1/kv/missing").status, 404);
  ASSERT_EQ(client().get("/no/such/route").status, 404);
  const std::string m = scrape();
  EXPECT_EQ(sample(m, R"(livekv_http_requests_total{route="/v1/kv/{key}",method="PUT",code="201"})"), 3.0) << m;
  EXPECT_EQ(sample(m, R"(livekv_http_requests_total{route="/v1/kv/{key}",method="PUT",code="200"})"), 1.0);
  EXPECT_EQ(sample(m, R"(livekv_http_requests_total{route="/v1/kv/{key}",method="GET",code="404"})"), 1.0);
  EXPECT_EQ(sample(m, R"(livekv_http_requests_total{route="none",method="GET",code="404"})"), 1.0);
  EXPECT_EQ(sample(m, R"(livekv_writes_total{op="put"})"), 4.0);
  EXPECT_EQ(sample(m, "livekv_commits_total"), 4.0);
  EXPECT_EQ(sample(m, "livekv_keys"), 3.0);
  EXPECT_EQ(sample(m, "livekv_revision"), 4.0);
  EXPECT_EQ(sample(m, "livekv_log_appends_total"), 4.0);
  EXPECT_EQ(sample(m, R"(livekv_http_request_duration_seconds_count{route="/v1/kv/{key}"})"), 5.0);
  EXPECT_GE(*sample(m, "livekv_log_fsyncs_total"), 1.0);
  EXPECT_GE(*sample(m, "livekv_log_fsync_duration_seconds_count"), 1.0);
  EXPECT_GT(*sample(m, "process_resident_memory_bytes"), 0.0);
  EXPECT_GT(*sample(m, "livekv_http_received_bytes_total"), 0.0);
  EXPECT_EQ(sample(m, "livekv_http_connections"), 1.0);
}

TEST_F(metrics_test, expirations_are_counted_with_their_lag) {
  ASSERT_EQ(client().put("/v1/kv/short?ttl=0.1", "v").status, 201);
  // Under --fsync always the expiry is counted as a write once its record is durable, a moment
  // after the sweeper removed the key: wait for both.
  std::optional<double> expired, written;
  for (int i = 0; i < 200 && (expired.value_or(0) < 1 || written.value_or(0) < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const std::string m = scrape();
    expired = sample(m, "livekv_expired_keys_total");
    written = sample(m, R"(livekv_writes_total{op="expire"})");
  }
  EXPECT_EQ(expired, 1.0);
  EXPECT_EQ(written, 1.0);
  const std::string m = scrape();
  EXPECT_EQ(sample(m, "livekv_expiry_lag_seconds_count"), 1.0);
}

TEST_F(metrics_test, every_response_carries_a_request_id_and_a_sane_client_id_is_echoed) {
  const auto a = client().get("/healthz");
  const auto b = client().get("/healthz");
  EXPECT_FALSE(a.header("X-Request-Id").empty());
  EXPECT_NE(a.header("X-Request-Id"), b.header("X-Request-Id"));
  EXPECT_EQ(client().request(verb::get, "/healthz", "", {{"X-Request-Id", "trace-42.a:b_c"}}).header("X-Request-Id"),
            "trace-42.a:b_c");
  const auto insane = client().request(verb::get, "/v1/kv/none", "", {{"X-Request-Id", "no spaces\tor tabs"}});
  EXPECT_NE(insane.header("X-Request-Id"), "no spaces\tor tabs");
  EXPECT_FALSE(insane.header("X-Request-Id").empty());
}

TEST_F(metrics_test, json_request_log_lines_carry_every_field) {
  ASSERT_EQ(client().request(verb::put, "/v1/kv/logged", "value", {{"X-Request-Id", "req-1"}}).status, 201);
  ASSERT_TRUE(server_.terminate().exited_with(0));  // flushes the log
  std::ifstream in(access_log_path());
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j.value("request_id", "") != "req-1") continue;
    found = true;
    EXPECT_EQ(j["method"], "PUT");
    EXPECT_EQ(j["path"], "/v1/kv/logged");
    EXPECT_EQ(j["status"], 201);
    EXPECT_TRUE(j["duration_us"].is_number());
    EXPECT_GT(j["bytes_in"].get<int>(), 5);
    EXPECT_GT(j["bytes_out"].get<int>(), 0);
    EXPECT_NE(j["client"].get<std::string>().find("127.0.0.1:"), std::string::npos);
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(server_.start());
}

}  // namespace
}  // namespace livekv::test
