// Long-poll: GET /v1/kv/{key}?wait=R&timeout=S answers like a plain GET as soon as the key has
// changed (put, delete, expire) at a revision above R — at once when it already has — and with an
// empty 304 carrying KV-Revision when S seconds pass first. A key that was deleted (or expired)
// answers 404; a wait that is not a number is 400.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>

#include "support/feed_events.hpp"
#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

using namespace std::chrono_literals;

// Longer than any wait a test asks for, so only a server that never answers hits it.
constexpr std::chrono::milliseconds waiting_client_timeout{60'000};

class long_poll_test : public server_test {
 protected:
  std::uint64_t put(const std::string& key, const std::string& value, const std::string& query = "") {
    return put_key(client(), key, value, query);
  }

  // A GET of `target` from its own connection on its own thread.
  struct waiter {
    std::thread thread;
    http_response result;
  };

  // Starts the long-poll and returns once the server has begun serving it (the request is counted
  // in /status requests_total), so that what the test does next happens while it waits. If that
  // cannot be observed in time the test goes on anyway: the answer must be the same either way.
  void start_waiting(waiter& w, const std::string& target) {
    const auto baseline = requests_total();  // counts this request itself
    w.thread = std::thread([&w, target, port = server_.port()] {
      http_client c(port, waiting_client_timeout);
      w.result = c.get(target);
    });
    std::uint64_t mine = 0;
    poll_until(
        [&] {
          ++mine;
          return requests_total() >= baseline + mine + 1;
        },
        10'000ms);
  }

  std::uint64_t requests_total() {
    const auto j = status_json(client());
    return j.is_object() ? j.value("requests_total", std::uint64_t{0}) : 0;
  }
};

// A 400 problem+json (the spec names no code for long-poll parameters).
testing::AssertionResult is_400_problem(const http_response& res) {
  if (res.status != 400 || res.header("Content-Type") != "application/problem+json")
    return testing::AssertionFailure() << "expected a 400 problem, got\n" << res;
  return testing::AssertionSuccess();
}

TEST_F(long_poll_test, a_key_already_changed_after_the_wait_revision_answers_at_once_like_a_get) {
  const std::uint64_t r1 = put("k", "v1");
  const std::uint64_t r2 = put("k", "v2");
  put("other", "v");
  // timeout=300 with a client that gives up after 10 s: only an immediate answer passes.
  const auto res = client().get("/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=300");
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "v2");
  EXPECT_EQ(res.header("KV-Mod-Revision"), std::to_string(r2)) << res;
  EXPECT_EQ(res.header("ETag"), "\"" + std::to_string(r2) + "\"") << res;
  EXPECT_EQ(res.header("KV-Revision"), "3") << res;
  const auto plain = client().get("/v1/kv/k");
  for (const char* h : {"Content-Type", "KV-Create-Revision", "KV-Version", "Cache-Control"})
    EXPECT_EQ(res.header(h), plain.header(h)) << h << " differs from a plain GET";
}

TEST_F(long_poll_test, a_write_after_the_wait_began_answers_the_waiting_request) {
  const std::uint64_t r1 = put("k", "v1");
  waiter w;
  start_waiting(w, "/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=50");
  put("unrelated", "v");
  const std::uint64_t r2 = put("k", "v2");
  w.thread.join();
  EXPECT_EQ(w.result.status, 200) << w.result;
  EXPECT_EQ(w.result.body, "v2");
  EXPECT_EQ(w.result.header("KV-Mod-Revision"), std::to_string(r2)) << w.result;
}

TEST_F(long_poll_test, a_wait_on_a_missing_key_is_answered_when_the_key_is_created) {
  put("other", "v");
  waiter w;
  start_waiting(w, "/v1/kv/new?wait=1&timeout=50");
  const std::uint64_t rev = put("new", "born");
  w.thread.join();
  EXPECT_EQ(w.result.status, 200) << w.result;
  EXPECT_EQ(w.result.body, "born");
  EXPECT_EQ(w.result.header("KV-Create-Revision"), std::to_string(rev)) << w.result;
}

TEST_F(long_poll_test, a_wait_that_times_out_is_304_with_an_empty_body_and_kv_revision) {
  const std::uint64_t rev = put("k", "v");
  const auto res = client().get("/v1/kv/k?wait=" + std::to_string(rev) + "&timeout=1");
  EXPECT_EQ(res.status, 304) << res;
  EXPECT_TRUE(res.body.empty()) << res;
  EXPECT_EQ(res.header("KV-Revision"), std::to_string(rev)) << res;
  EXPECT_EQ(client().get("/v1/kv/k").body, "v") << "the connection still serves requests";
}

TEST_F(long_poll_test, writes_to_other_keys_do_not_answer_a_wait) {
  const std::uint64_t r1 = put("k", "v");
  put("other", "v");
  put("k2", "v");
  const auto res = client().get("/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=1");
  EXPECT_EQ(res.status, 304) << "the store moved on but the key did not:\n" << res;
  EXPECT_EQ(res.header("KV-Revision"), "3") << res;
}

TEST_F(long_poll_test, a_delete_during_the_wait_answers_404) {
  const std::uint64_t r1 = put("k", "v");
  waiter w;
  start_waiting(w, "/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=50");
  delete_key(client(), "k");
  w.thread.join();
  EXPECT_TRUE(is_problem(w.result, 404, "key_not_found"));
}

TEST_F(long_poll_test, a_key_deleted_before_the_wait_answers_404_at_once) {
  const std::uint64_t r1 = put("k", "v");
  delete_key(client(), "k");
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=300"), 404, "key_not_found"));
}

TEST_F(long_poll_test, an_expiry_during_the_wait_answers_404) {
  const std::uint64_t r1 = put("k", "v", "?ttl=0.3");
  http_client c(server_.port(), waiting_client_timeout);
  const auto res = c.get("/v1/kv/k?wait=" + std::to_string(r1) + "&timeout=50");
  EXPECT_TRUE(is_problem(res, 404, "key_not_found"));
  EXPECT_EQ(res.header("KV-Revision"), std::to_string(r1 + 1)) << "the expire commit: " << res;
}

TEST_F(long_poll_test, a_wait_that_is_not_a_number_is_400) {
  put("k", "v");
  for (const char* query : {"wait", "wait=", "wait=abc", "wait=-1", "wait=1.5", "wait=1x", "wait=%31%zz"})
    EXPECT_TRUE(is_400_problem(client().get(std::string("/v1/kv/k?") + query))) << query;
  EXPECT_TRUE(is_400_problem(client().get("/v1/kv/k?wait=1&timeout=abc"))) << "timeout must be a number too";
  EXPECT_EQ(current_revision(), 1u);
}

}  // namespace
}  // namespace livekv::test
