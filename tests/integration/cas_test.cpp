// POST /v1/cas/{key}: compare-and-swap on the value. A match writes (or deletes) under a new
// revision; a mismatch is a 409 naming what the key holds now and changes nothing; a body that is
// not the documented JSON is a 400 bad_json, never a 500; and concurrent CAS increments lose no
// update.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

using nlohmann::json;

// RFC 4648 base64 with padding, written for these tests.
std::string to_base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class cas_test : public server_test {
 protected:
  http_response cas(const std::string& key, const json& body) { return post_json(client(), "/v1/cas/" + key, body); }
  http_response cas_raw(const std::string& key, std::string body) {
    return client().request(verb::post, "/v1/cas/" + key, std::move(body), {{"Content-Type", "application/json"}});
  }
};

// A 200 CAS answer for `key`; its revision.
std::uint64_t cas_revision(const http_response& res, const std::string& key) {
  auto j = res.json();
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Content-Type"), "application/json") << res;
  EXPECT_TRUE(j.is_object() && j["key"] == key && j["revision"].is_number_unsigned()) << res;
  return j.is_object() && j["revision"].is_number_unsigned() ? j["revision"].get<std::uint64_t>() : 0;
}

TEST_F(cas_test, matching_expected_value_swaps_in_the_new_value) {
  ASSERT_EQ(client().put("/v1/kv/k", "old").status, 201);
  const std::uint64_t rev = cas_revision(cas("k", {{"expected", "old"}, {"new", "new"}}), "k");
  EXPECT_EQ(rev, 2u);
  const auto get = client().get("/v1/kv/k");
  EXPECT_EQ(get.body, "new");
  EXPECT_EQ(get.header("KV-Mod-Revision"), "2");
  EXPECT_EQ(get.header("KV-Create-Revision"), "1");
  EXPECT_EQ(get.header("KV-Version"), "2");
}

TEST_F(cas_test, mismatch_is_409_with_the_current_value_and_revision_and_changes_nothing) {
  ASSERT_EQ(client().put("/v1/kv/k", "actual").status, 201);
  const auto res = cas("k", {{"expected", "guess"}, {"new", "new"}});
  ASSERT_TRUE(is_problem(res, 409, "cas_mismatch"));
  auto j = res.json();
  EXPECT_EQ(j["current"], "actual") << res;
  EXPECT_EQ(j["current_revision"], 1) << res;
  EXPECT_EQ(client().get("/v1/kv/k").body, "actual");
  EXPECT_EQ(current_revision(), 1u) << "a mismatch takes no revision";
}

TEST_F(cas_test, expecting_a_value_of_an_absent_key_is_409_with_null_current) {
  const auto res = cas("k", {{"expected", "anything"}, {"new", "v"}});
  ASSERT_TRUE(is_problem(res, 409, "cas_mismatch"));
  auto j = res.json();
  EXPECT_TRUE(j.contains("current") && j["current"].is_null()) << res;
  EXPECT_TRUE(j.contains("current_revision") && j["current_revision"].is_null()) << res;
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

TEST_F(cas_test, expected_null_creates_only_if_absent) {
  EXPECT_EQ(cas_revision(cas("k", {{"expected", nullptr}, {"new", "first"}}), "k"), 1u);
  const auto again = cas("k", {{"expected", nullptr}, {"new", "second"}});
  ASSERT_TRUE(is_problem(again, 409, "cas_mismatch"));
  EXPECT_EQ(again.json()["current"], "first") << again;
  EXPECT_EQ(again.json()["current_revision"], 1) << again;
  EXPECT_EQ(client().get("/v1/kv/k").body, "first");
}

TEST_F(cas_test, new_null_deletes_when_the_value_matches) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  ASSERT_TRUE(is_problem(cas("k", {{"expected", "other"}, {"new", nullptr}}), 409, "cas_mismatch"));
  EXPECT_EQ(client().get("/v1/kv/k").body, "v");
  EXPECT_EQ(cas_revision(cas("k", {{"expected", "v"}, {"new", nullptr}}), "k"), 2u);
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

TEST_F(cas_test, ttl_sets_a_deadline_on_the_new_value) {
  cas_revision(cas("k", {{"expected", nullptr}, {"new", "v"}, {"ttl", 100}}), "k");
  const auto get = client().get("/v1/kv/k");
  ASSERT_EQ(get.status, 200) << get;
  ASSERT_TRUE(get.headers.contains("KV-TTL")) << get;
  const double ttl = std::stod(get.header("KV-TTL"));
  EXPECT_GT(ttl, 0.0);
  EXPECT_LE(ttl, 100.0);
  // A CAS without ttl replaces the value and with it the deadline.
  cas_revision(cas("k", {{"expected", "v"}, {"new", "w"}}), "k");
  EXPECT_FALSE(client().get("/v1/kv/k").headers.contains("KV-TTL"));
}

TEST_F(cas_test, binary_values_travel_as_base64_members) {
  const std::string bytes("\x00\xff\x80-bin\xfe", 8);
  cas_revision(cas("bin", {{"expected", nullptr}, {"new_base64", to_base64(bytes)}}), "bin");
  EXPECT_EQ(client().get("/v1/kv/bin").body, bytes);
  // A mismatch reports a value that is not UTF-8 as current_base64.
  const auto miss = cas("bin", {{"expected", "text"}, {"new", "x"}});
  ASSERT_TRUE(is_problem(miss, 409, "cas_mismatch"));
  EXPECT_EQ(miss.json()["current_base64"], to_base64(bytes)) << miss;
  EXPECT_FALSE(miss.json().contains("current")) << miss;
  const std::string next("\x01\x02\x03", 3);
  cas_revision(cas("bin", {{"expected_base64", to_base64(bytes)}, {"new_base64", to_base64(next)}}), "bin");
  EXPECT_EQ(client().get("/v1/kv/bin").body, next);
}

TEST_F(cas_test, malformed_bodies_are_400_bad_json_and_change_nothing) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const std::vector<std::string> bodies = {
      "",
      "not json",
      "{\"expected\": \"v\", \"new\": ",
      "[]",
      "null",
      "42",
      "\"v\"",
      "{}",
      R"({"expected":"v"})",
      R"({"new":"w"})",
      R"({"expected":1,"new":"w"})",
      R"({"expected":"v","new":2})",
      R"({"expected":["v"],"new":"w"})",
      R"({"expected":{"a":"v"},"new":"w"})",
      R"({"expected":"v","new":true})",
      R"({"expected":"v","new":"w","extra":1})",
      R"({"Expected":"v","new":"w"})",
      R"({"expected":"v","expected_base64":"dg==","new":"w"})",
      R"({"expected":"v","new":"w","new_base64":"dw=="})",
      R"({"expected_base64":"***","new":"w"})",
      R"({"expected":"v","new_base64":7})",
      R"({"expected_base64":null,"new":"w"})",
      R"({"expected":"v","new":"w","ttl":"5"})",
      R"({"expected":"v","new":"w","ttl":0})",
      R"({"expected":"v","new":"w","ttl":-1})",
      R"({"expected":"v","new":"w","ttl":null})",
      R"({"expected":"v","new":"w","ttl":1e300})",
      R"({"expected":"v","new":null,"ttl":5})",
      "{\"expected\":\"\xff\",\"new\":\"w\"}",  // invalid UTF-8 inside a JSON string
      std::string(1000, '['),
  };
  for (const auto& body : bodies) {
    const auto res = cas_raw("k", body);
    EXPECT_TRUE(is_problem(res, 400, "bad_json")) << "body: " << body.substr(0, 80);
  }
  EXPECT_EQ(client().get("/v1/kv/k").body, "v");
  EXPECT_EQ(current_revision(), 1u);
}

// {"expected": null, "expected_base64": "dg=="} contradicts itself: it must not be taken as
// create-if-absent (nor "new": null with "new_base64" as a delete).
TEST_F(cas_test, null_together_with_its_base64_member_is_400_bad_json) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  EXPECT_TRUE(is_problem(cas_raw("absent", R"({"expected":null,"expected_base64":"dg==","new":"w"})"), 400, "bad_json"));
  EXPECT_TRUE(is_problem(cas_raw("k", R"({"expected":"v","new":null,"new_base64":"dw=="})"), 400, "bad_json"));
  EXPECT_EQ(client().get("/v1/kv/k").body, "v");
  EXPECT_TRUE(is_problem(client().get("/v1/kv/absent"), 404, "key_not_found"));
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(cas_test, a_bad_key_or_query_is_not_a_json_problem) {
  EXPECT_TRUE(is_problem(cas("", {{"expected", nullptr}, {"new", "v"}}), 400, "bad_key"));
  EXPECT_TRUE(is_problem(cas("k?x=1", {{"expected", nullptr}, {"new", "v"}}), 400, "bad_query"));
  EXPECT_EQ(current_revision(), 0u);
}

// N clients CAS-increment one counter, retrying on 409. Every success adds exactly one.
constexpr int cas_clients = 8;
constexpr int cas_increments_per_client = 10;
constexpr int max_cas_attempts_per_client = 2'000;

struct cas_log {
  int successes = 0;
  int attempts = 0;
  std::vector<std::string> failures;
};

void cas_increments(std::uint16_t port, std::latch& start, cas_log& log) {
  http_client client(port);
  if (client.get("/healthz").status != 200) log.failures.push_back("cannot reach the server");
  start.arrive_and_wait();
  while (log.successes < cas_increments_per_client && log.attempts < max_cas_attempts_per_client) {
    ++log.attempts;
    const auto got = client.get("/v1/kv/counter");
    int value = 0;
    const auto [p, ec] = std::from_chars(got.body.data(), got.body.data() + got.body.size(), value);
    if (got.status != 200 || ec != std::errc{} || p != got.body.data() + got.body.size()) {
      log.failures.push_back("GET counter:\n" + got.describe());
      return;
    }
    const auto res = post_json(client, "/v1/cas/counter",
                               {{"expected", std::to_string(value)}, {"new", std::to_string(value + 1)}});
    if (res.status == 200) {
      ++log.successes;
    } else if (res.status != 409) {
      log.failures.push_back("CAS:\n" + res.describe());
      return;
    }
  }
}

TEST_F(cas_test, racing_cas_increments_lose_no_update) {
  ASSERT_EQ(client().put("/v1/kv/counter", "0").status, 201);
  std::vector<cas_log> logs(cas_clients);
  {
    std::latch start(cas_clients);
    std::vector<std::jthread> threads;
    for (int t = 0; t < cas_clients; ++t)
      threads.emplace_back(cas_increments, server_.port(), std::ref(start), std::ref(logs[t]));
  }
  int successes = 0;
  for (std::size_t t = 0; t < logs.size(); ++t) {
    for (const auto& f : logs[t].failures) ADD_FAILURE() << "client " << t << ": " << f;
    EXPECT_EQ(logs[t].successes, cas_increments_per_client)
        << "client " << t << " after " << logs[t].attempts << " attempts";
    successes += logs[t].successes;
  }
  const auto final_value = client().get("/v1/kv/counter");
  EXPECT_EQ(final_value.body, std::to_string(successes)) << "the counter equals the number of successful CAS";
  EXPECT_EQ(successes, cas_clients * cas_increments_per_client);
  EXPECT_EQ(current_revision(), static_cast<std::uint64_t>(successes) + 1);
}

}  // namespace
}  // namespace livekv::test
