// Conditional writes: PUT and DELETE with If-Match (an ETag the server issued, or *) and PUT with
// If-None-Match: *. A failed precondition is a 412 problem naming the key's current revision,
// changes nothing and takes no revision; and optimistic concurrency built on If-Match loses no
// update when many clients race on one key.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <latch>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

std::string etag(std::uint64_t revision) { return "\"" + std::to_string(revision) + "\""; }

// The revision a 2xx write answer reports.
std::uint64_t revision_of(const http_response& res) {
  auto j = res.json();
  return j.is_object() && j.contains("revision") && j["revision"].is_number_unsigned()
             ? j["revision"].get<std::uint64_t>()
             : 0;
}

// A 412 precondition_failed problem whose current_revision is `current` (nullopt: JSON null).
testing::AssertionResult is_precondition_failed(const http_response& res, std::optional<std::uint64_t> current) {
  if (auto p = is_problem(res, 412, "precondition_failed"); !p) return p;
  auto j = res.json();
  if (!j.contains("current_revision")) return testing::AssertionFailure() << "no current_revision in\n" << res;
  if (!current) {
    if (!j["current_revision"].is_null())
      return testing::AssertionFailure() << "expected current_revision null in\n" << res;
    return testing::AssertionSuccess();
  }
  if (j["current_revision"] != *current)
    return testing::AssertionFailure() << "expected current_revision " << *current << " in\n" << res;
  return testing::AssertionSuccess();
}

class conditional_test : public server_test {
 protected:
  // PUTs `value` unconditionally and returns the revision it got.
  std::uint64_t put(const std::string& key, const std::string& value) {
    const auto res = client().put(kv_path(key), value);
    EXPECT_TRUE(res.status == 200 || res.status == 201) << res;
    return revision_of(res);
  }
};

TEST_F(conditional_test, put_with_the_current_etag_succeeds_and_returns_the_new_etag) {
  const std::uint64_t r1 = put("k", "v1");
  const auto get = client().get("/v1/kv/k");
  ASSERT_EQ(get.header("ETag"), etag(r1));
  const auto res = client().put("/v1/kv/k", "v2", {{"If-Match", get.header("ETag")}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(revision_of(res), r1 + 1);
  EXPECT_EQ(res.header("ETag"), etag(r1 + 1));
  const auto after = client().get("/v1/kv/k");
  EXPECT_EQ(after.body, "v2");
  EXPECT_EQ(after.header("ETag"), etag(r1 + 1));
}

TEST_F(conditional_test, put_with_a_stale_etag_is_412_with_the_current_revision_and_changes_nothing) {
  const std::uint64_t r1 = put("k", "v1");
  const std::uint64_t r2 = put("k", "v2");
  const auto res = client().put("/v1/kv/k", "v3", {{"If-Match", etag(r1)}});
  EXPECT_TRUE(is_precondition_failed(res, r2));
  const auto after = client().get("/v1/kv/k");
  EXPECT_EQ(after.body, "v2");
  EXPECT_EQ(after.header("KV-Version"), "2");
  EXPECT_EQ(current_revision(), r2) << "a failed precondition takes no revision";
}

TEST_F(conditional_test, put_with_if_match_on_an_absent_key_is_412_with_null_current_revision) {
  put("other", "x");
  EXPECT_TRUE(is_precondition_failed(client().put("/v1/kv/k", "v", {{"If-Match", "\"1\""}}), std::nullopt));
  EXPECT_TRUE(is_precondition_failed(client().put("/v1/kv/k", "v", {{"If-Match", "*"}}), std::nullopt));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found")) << "nothing was created";
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(conditional_test, put_with_if_match_star_replaces_an_existing_key) {
  const std::uint64_t r1 = put("k", "v1");
  const auto res = client().put("/v1/kv/k", "v2", {{"If-Match", "*"}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(revision_of(res), r1 + 1);
  EXPECT_EQ(client().get("/v1/kv/k").body, "v2");
}

TEST_F(conditional_test, if_match_etags_the_server_never_issues_match_nothing) {
  const std::uint64_t r1 = put("k", "v1");
  // A weak tag never matches under If-Match's strong comparison; "0" and non-numbers are no revision.
  for (const std::string& tag : {"W/" + etag(r1), std::string("\"0\""), std::string("\"abc\""),
                                etag(r1 + 1), std::string("\"18446744073709551615\"")}) {
    EXPECT_TRUE(is_precondition_failed(client().put("/v1/kv/k", "v2", {{"If-Match", tag}}), r1)) << tag;
    EXPECT_TRUE(is_precondition_failed(client().del("/v1/kv/k", {{"If-Match", tag}}), r1)) << tag;
  }
  EXPECT_EQ(client().get("/v1/kv/k").body, "v1");
}

TEST_F(conditional_test, malformed_if_match_is_400_bad_request) {
  put("k", "v1");
  for (const char* value : {"1", "abc", "\"1\", \"2\"", "\""}) {
    EXPECT_TRUE(is_problem(client().put("/v1/kv/k", "v2", {{"If-Match", value}}), 400, "bad_request")) << value;
    EXPECT_TRUE(is_problem(client().del("/v1/kv/k", {{"If-Match", value}}), 400, "bad_request")) << value;
  }
  EXPECT_EQ(client().get("/v1/kv/k").body, "v1");
}

TEST_F(conditional_test, put_with_if_none_match_star_creates_only_when_absent) {
  const auto created = client().put("/v1/kv/k", "first", {{"If-None-Match", "*"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::uint64_t r1 = revision_of(created);
  const auto again = client().put("/v1/kv/k", "second", {{"If-None-Match", "*"}});
  EXPECT_TRUE(is_precondition_failed(again, r1));
  EXPECT_EQ(client().get("/v1/kv/k").body, "first");
  EXPECT_EQ(current_revision(), r1);
}

TEST_F(conditional_test, put_with_if_none_match_other_than_star_is_400_bad_request) {
  EXPECT_TRUE(is_problem(client().put("/v1/kv/k", "v", {{"If-None-Match", "\"1\""}}), 400, "bad_request"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

TEST_F(conditional_test, delete_with_the_current_etag_deletes) {
  const std::uint64_t r1 = put("k", "v1");
  const auto res = client().del("/v1/kv/k", {{"If-Match", etag(r1)}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(revision_of(res), r1 + 1);
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

TEST_F(conditional_test, delete_with_a_stale_etag_is_412_and_keeps_the_key) {
  const std::uint64_t r1 = put("k", "v1");
  const std::uint64_t r2 = put("k", "v2");
  EXPECT_TRUE(is_precondition_failed(client().del("/v1/kv/k", {{"If-Match", etag(r1)}}), r2));
  EXPECT_EQ(client().get("/v1/kv/k").body, "v2");
  EXPECT_EQ(current_revision(), r2);
}

TEST_F(conditional_test, delete_with_if_match_of_an_absent_key_is_412_with_null_current_revision) {
  EXPECT_TRUE(is_precondition_failed(client().del("/v1/kv/k", {{"If-Match", "\"1\""}}), std::nullopt));
  EXPECT_TRUE(is_precondition_failed(client().del("/v1/kv/k", {{"If-Match", "*"}}), std::nullopt));
  EXPECT_EQ(current_revision(), 0u);
}

TEST_F(conditional_test, delete_with_if_match_star_deletes_an_existing_key) {
  const std::uint64_t r1 = put("k", "v1");
  const auto res = client().del("/v1/kv/k", {{"If-Match", "*"}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(revision_of(res), r1 + 1);
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

// 32 clients increment one counter with read-modify-write guarded by If-Match, retrying on 412.
// Without a lost update the counter ends at exactly the number of 2xx PUTs, and every value from
// 1 to that number was written exactly once.
constexpr int racing_clients = 32;
constexpr int increments_per_client = 10;  // small enough for TSan on two cores
// A client that needs more attempts than this for its increments is starved: fail, do not spin.
constexpr int max_attempts_per_client = 5'000;

struct racer_log {
  std::vector<int> written;  // the counter values this client's 2xx PUTs wrote
  int attempts = 0;
  std::vector<std::string> failures;
};

void race_increments(std::uint16_t port, std::latch& start, racer_log& log) {
  http_client client(port);
  if (client.get("/healthz").status != 200) log.failures.push_back("cannot reach the server");
  start.arrive_and_wait();
  while (static_cast<int>(log.written.size()) < increments_per_client && log.attempts < max_attempts_per_client) {
    ++log.attempts;
    const auto got = client.get("/v1/kv/counter");
    int value = 0;
    const auto [p, ec] = std::from_chars(got.body.data(), got.body.data() + got.body.size(), value);
    if (got.status != 200 || ec != std::errc{} || p != got.body.data() + got.body.size() || got.header("ETag").empty()) {
      log.failures.push_back("GET counter:\n" + got.describe());
      return;
    }
    const auto put = client.put("/v1/kv/counter", std::to_string(value + 1), {{"If-Match", got.header("ETag")}});
    if (put.status == 200) {
      log.written.push_back(value + 1);
    } else if (put.status != 412) {
      log.failures.push_back("conditional PUT:\n" + put.describe());
      return;
    }
  }
}

TEST_F(conditional_test, racing_if_match_increments_lose_no_update) {
  ASSERT_EQ(client().put("/v1/kv/counter", "0").status, 201);
  std::vector<racer_log> logs(racing_clients);
  {
    std::latch start(racing_clients);
    std::vector<std::jthread> threads;
    for (int t = 0; t < racing_clients; ++t)
      threads.emplace_back(race_increments, server_.port(), std::ref(start), std::ref(logs[t]));
  }
  std::vector<int> written;
  for (std::size_t t = 0; t < logs.size(); ++t) {
    for (const auto& f : logs[t].failures) ADD_FAILURE() << "client " << t << ": " << f;
    EXPECT_EQ(logs[t].written.size(), static_cast<std::size_t>(increments_per_client))
        << "client " << t << " made only " << logs[t].written.size() << " increments in " << logs[t].attempts
        << " attempts";
    written.insert(written.end(), logs[t].written.begin(), logs[t].written.end());
  }
  const auto final_value = client().get("/v1/kv/counter");
  ASSERT_EQ(final_value.status, 200) << final_value;
  EXPECT_EQ(final_value.body, std::to_string(written.size())) << "the counter equals the number of 2xx PUTs";
  EXPECT_EQ(written.size(), static_cast<std::size_t>(racing_clients * increments_per_client));
  std::sort(written.begin(), written.end());
  std::vector<int> expected(written.size());
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(written, expected) << "each value was written by exactly one successful PUT";
  // One revision for the initial PUT plus one per successful increment, and none for a 412.
  EXPECT_EQ(final_value.header("KV-Version"), std::to_string(written.size() + 1));
  EXPECT_EQ(current_revision(), written.size() + 1);
}

}  // namespace
}  // namespace livekv::test
