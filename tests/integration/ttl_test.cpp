// Keys with a time to live: PUT ?ttl=<seconds>. GET reports the time left in KV-TTL; an expired key
// is never returned, and the background sweeper removes it with an `expire` commit of its own (one
// revision per key); a later PUT without ttl makes the key permanent again; a bad ttl is a 400.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

// Generous for a sanitizer build on a loaded machine: only a sweeper that never runs waits it out.
constexpr std::chrono::milliseconds expiry_deadline{10'000};

class ttl_test : public server_test {
 protected:
  // The KV-TTL of a GET of `key`, in seconds; -1 when the key or the header is missing.
  double ttl_of(const std::string& key) {
    const auto res = client().get(kv_path(key));
    if (res.status != 200 || !res.headers.contains("KV-TTL")) return -1;
    return std::stod(res.header("KV-TTL"));
  }

  std::vector<std::string> listed_keys() {
    std::vector<std::string> keys;
    for (const auto& [key, item] : read_state(client()).items) keys.push_back(key);
    return keys;
  }

  // Waits until /status says no key with a deadline is left: the sweeper has removed them all.
  bool wait_until_swept() {
    return poll_until(
        [&] {
          auto j = status_json(client());
          return j.is_object() && j["keys_with_ttl"] == 0;
        },
        expiry_deadline);
  }
};

TEST_F(ttl_test, get_reports_the_remaining_ttl_and_it_never_grows) {
  const auto put = client().put("/v1/kv/k?ttl=100", "v");
  ASSERT_EQ(put.status, 201) << put;
  const double first = ttl_of("k");
  ASSERT_GT(first, 0.0);
  EXPECT_LE(first, 100.0);
  const double second = ttl_of("k");
  EXPECT_GT(second, 0.0);
  EXPECT_LE(second, first);
  const auto head = client().head("/v1/kv/k");
  EXPECT_TRUE(head.headers.contains("KV-TTL")) << head;
}

TEST_F(ttl_test, decimal_ttls_are_accepted) {
  ASSERT_EQ(client().put("/v1/kv/k?ttl=2.5", "v").status, 201);
  const double ttl = ttl_of("k");
  EXPECT_GT(ttl, 0.0);
  EXPECT_LE(ttl, 2.5);
}

TEST_F(ttl_test, keys_without_ttl_have_no_kv_ttl_header_or_deadline) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto res = client().get("/v1/kv/k");
  EXPECT_FALSE(res.headers.contains("KV-TTL")) << res;
  const auto state = read_state(client());
  ASSERT_EQ(state.items.count("k"), 1u);
  EXPECT_FALSE(state.items.at("k").expires_at_ms.has_value());
}

TEST_F(ttl_test, an_expired_key_disappears_from_get_and_list_and_each_expiry_takes_one_revision) {
  ASSERT_EQ(client().put("/v1/kv/stays", "v").status, 201);
  constexpr int short_lived = 3;
  for (int i = 0; i < short_lived; ++i)
    ASSERT_EQ(client().put("/v1/kv/brief/" + std::to_string(i) + "?ttl=0.3", "v").status, 201);
  const std::uint64_t written = current_revision();
  ASSERT_EQ(written, 1u + short_lived);
  EXPECT_TRUE(poll_until([&] { return client().get("/v1/kv/brief/0").status == 404; }, expiry_deadline))
      << "the key is still served after its deadline";
  EXPECT_TRUE(wait_until_swept()) << status_json(client()).dump();
  for (int i = 0; i < short_lived; ++i)
    EXPECT_TRUE(is_problem(client().get("/v1/kv/brief/" + std::to_string(i)), 404, "key_not_found")) << i;
  EXPECT_EQ(listed_keys(), std::vector<std::string>{"stays"});
  const auto status = status_json(client());
  EXPECT_EQ(status["keys"], 1) << status.dump();
  EXPECT_EQ(status["revision"], written + short_lived) << "one expire commit per key: " << status.dump();
}

TEST_F(ttl_test, put_without_ttl_clears_the_deadline) {
  ASSERT_EQ(client().put("/v1/kv/k?ttl=0.3", "v1").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k", "v2").status, 200);
  EXPECT_FALSE(client().get("/v1/kv/k").headers.contains("KV-TTL"));
  // A witness with the same ttl, written later: once it is swept, the first deadline has passed too.
  ASSERT_EQ(client().put("/v1/kv/witness?ttl=0.3", "w").status, 201);
  ASSERT_TRUE(wait_until_swept());
  ASSERT_TRUE(is_problem(client().get("/v1/kv/witness"), 404, "key_not_found"));
  const auto res = client().get("/v1/kv/k");
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "v2");
  EXPECT_EQ(current_revision(), 4u) << "put, put, witness, the witness's expiry";
}

TEST_F(ttl_test, put_with_a_new_ttl_replaces_the_old_one) {
  ASSERT_EQ(client().put("/v1/kv/k?ttl=0.3", "v1").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k?ttl=1000", "v2").status, 200);
  ASSERT_EQ(client().put("/v1/kv/witness?ttl=0.3", "w").status, 201);
  ASSERT_TRUE(poll_until(
      [&] {
        auto j = status_json(client());
        return j.is_object() && j["keys_with_ttl"] == 1;
      },
      expiry_deadline));
  EXPECT_EQ(client().get("/v1/kv/k").body, "v2");
  const double ttl = ttl_of("k");
  EXPECT_GT(ttl, 1.0);
  EXPECT_LE(ttl, 1000.0);
}

TEST_F(ttl_test, invalid_ttls_are_400_bad_query_and_store_nothing) {
  for (const char* ttl : {"", "0", "0.0", "-1", "+1", "abc", "1e3", "inf", "nan", "0x10", "1.2.3", "1s", " 1",
                          "315360001", "99999999999999999999"}) {
    const auto res = client().put("/v1/kv/k?ttl=" + query_escape(ttl), "v");
    EXPECT_TRUE(is_problem(res, 400, "bad_query")) << "ttl='" << ttl << "'";
  }
  EXPECT_TRUE(is_problem(client().put("/v1/kv/k?ttl", "v"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k?ttl=5"), 400, "bad_query")) << "ttl is for writes";
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
  EXPECT_EQ(current_revision(), 0u);
}

}  // namespace
}  // namespace livekv::test
