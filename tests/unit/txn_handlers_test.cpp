// The CAS and batch handlers called directly: request in, response out, store checked.
#include "livekv/handlers/txn_handlers.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace livekv::handlers {
namespace {

using json = nlohmann::json;

class txn_handlers_test : public ::testing::Test {
 protected:
  store::kv_store store_;
  txn_handlers h_{store_, {64, 1024, 8, 64 * 1024}};

  struct answer {
    unsigned status;
    json body;
  };

  answer call(bool cas, const std::string& key, const std::string& body) {
    http::request req{http::verb::post, cas ? "/v1/cas/" + key : "/v1/batch", 11};
    req.body() = body;
    http::request_context ctx{req, "", "", key, "127.0.0.1:1", {}, {}, {}, {}, {}, {}, {}};
    auto res = cas ? h_.cas(ctx) : h_.batch(ctx);
    return {static_cast<unsigned>(res.result()), json::parse(res.body().view(), nullptr, false)};
  }
  answer cas(const std::string& key, const std::string& body) { return call(true, key, body); }
  answer batch(const std::string& body) { return call(false, "", body); }

  void put(const std::string& k, const std::string& v) {
    store::commit_request r;
    r.ops.push_back({store::operation::kind::put, k, store::make_value(v), 0, 0});
    ASSERT_TRUE(store_.commit(r)->applied);
  }
};

TEST_F(txn_handlers_test, cas_swaps_only_the_expected_value) {
  put("k", "a");
  auto ok = cas("k", R"({"expected":"a","new":"b"})");
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.body["revision"], 2);
  EXPECT_EQ(store_.get("k")->val->bytes(), "b");
  auto no = cas("k", R"({"expected":"a","new":"c"})");
  EXPECT_EQ(no.status, 409u);
  EXPECT_EQ(no.body["code"], "cas_mismatch");
  EXPECT_EQ(no.body["current"], "b");
  EXPECT_EQ(no.body["current_revision"], 2);
  EXPECT_EQ(store_.revision(), 2u);
}

TEST_F(txn_handlers_test, cas_null_expected_means_absent_and_null_new_means_delete) {
  EXPECT_EQ(cas("lock", R"({"expected":null,"new":"me"})").status, 200u);
  auto taken = cas("lock", R"({"expected":null,"new":"you"})");
  EXPECT_EQ(taken.status, 409u);
  EXPECT_EQ(taken.body["current"], "me");
  EXPECT_EQ(cas("lock", R"({"expected":"me","new":null})").status, 200u);
  EXPECT_FALSE(store_.get("lock"));
  auto gone = cas("lock", R"({"expected":"me","new":"x"})");
  EXPECT_EQ(gone.status, 409u);
  EXPECT_TRUE(gone.body["current"].is_null());
  EXPECT_TRUE(gone.body["current_revision"].is_null());
}

TEST_F(txn_handlers_test, cas_handles_binary_values_as_base64) {
  put("bin", std::string("\xff\x00", 2));
  auto no = cas("bin", R"({"expected":"x","new":"y"})");
  EXPECT_EQ(no.body["current_base64"], "/wA=");
  EXPECT_EQ(cas("bin", R"({"expected_base64":"/wA=","new_base64":"AQI="})").status, 200u);
  EXPECT_EQ(store_.get("bin")->val->bytes(), std::string("\x01\x02", 2));
}

TEST_F(txn_handlers_test, malformed_cas_bodies_are_bad_json_never_a_crash) {
  for (const char* body : {"", "nope", "[]", "{", R"({"new":"x"})", R"({"expected":null})", R"({"expected":1,"new":"x"})",
                           R"({"expected":null,"new":["x"]})", R"({"expected":null,"new":"x","ttl":"5"})",
                           R"({"expected":null,"new":"x","ttl":-1})", R"({"expected":"a","new":null,"ttl":5})",
                           R"({"expected":null,"new":"x","extra":1})", R"({"expected_base64":"!!","new":"x"})",
                           R"({"expected":"a","expected_base64":"YQ==","new":"x"})"}) {
    auto a = cas("k", body);
    EXPECT_EQ(a.status, 400u) << body;
    EXPECT_EQ(a.body["code"], "bad_json") << body;
  }
  EXPECT_EQ(store_.revision(), 0u);
}

TEST_F(txn_handlers_test, cas_ttl_sets_an_expiry) {
  EXPECT_EQ(cas("k", R"({"expected":null,"new":"v","ttl":60})").status, 200u);
  EXPECT_GT(store_.get("k")->expires_at_ms, 0);
}

TEST_F(txn_handlers_test, batch_applies_everything_under_one_revision) {
  put("gone", "x");
  auto a = batch(R"({"if":[{"key":"gone","exists":true}],
                     "ops":[{"op":"put","key":"a","value":"1"},{"op":"put","key":"b","value_base64":"Ag=="},
                            {"op":"delete","key":"gone"},{"op":"get","key":"a"},{"op":"delete","key":"never"}]})");
  ASSERT_EQ(a.status, 200u) << a.body;
  EXPECT_EQ(a.body["revision"], 2);
  EXPECT_EQ(store_.get("a")->mod_revision, 2u);
  EXPECT_EQ(store_.get("b")->mod_revision, 2u);
  EXPECT_EQ(store_.get("b")->val->bytes(), "\x02");
  EXPECT_FALSE(store_.get("gone"));
  EXPECT_EQ(a.body["results"][0]["created"], true);
  EXPECT_EQ(a.body["results"][2]["deleted"], true);
  EXPECT_EQ(a.body["results"][3]["value"], "1");
  EXPECT_EQ(a.body["results"][4]["deleted"], false);
}

TEST_F(txn_handlers_test, failed_condition_applies_nothing_and_names_its_index) {
  put("k", "v");
  auto a = batch(R"({"if":[{"key":"k","value":"v"},{"key":"k","mod_revision":7}],
                     "ops":[{"op":"put","key":"x","value":"1"}]})");
  EXPECT_EQ(a.status, 409u);
  EXPECT_EQ(a.body["code"], "condition_failed");
  EXPECT_EQ(a.body["failed_condition"], 1);
  EXPECT_EQ(a.body["current_revision"], 1);
  EXPECT_FALSE(store_.get("x"));
  EXPECT_EQ(store_.revision(), 1u);
}

TEST_F(txn_handlers_test, batch_limits_are_413) {
  std::string ops;
  for (int i = 0; i < 9; ++i) ops += std::string(i ? "," : "") + R"({"op":"get","key":"k"})";
  auto a = batch(R"({"ops":[)" + ops + "]}");
  EXPECT_EQ(a.status, 413u);
  EXPECT_EQ(a.body["code"], "too_many_ops");
  auto big = batch(R"({"ops":[{"op":"put","key":"k","value":")" + std::string(1025, 'v') + R"("}]})");
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ(big.body["code"], "value_too_large");
}

TEST_F(txn_handlers_test, malformed_batches_are_bad_json_or_bad_key) {
  for (const char* body : {"", "[]", R"({"ops":{}})", R"({"ops":[1]})", R"({"ops":[{"op":"put","key":"k"}]})",
                           R"({"ops":[{"op":"frob","key":"k"}]})", R"({"ops":[{"op":"get"}]})",
                           R"({"ops":[{"op":"get","key":5}]})", R"({"if":{},"ops":[]})",
                           R"({"if":[{"key":"k"}],"ops":[]})", R"({"if":[{"key":"k","exists":true,"value":"v"}],"ops":[]})",
                           R"({"if":[{"key":"k","mod_revision":-1}],"ops":[]})", R"({"ops":[],"extra":true})",
                           R"({"ops":[{"op":"delete","key":"k","value":"v"}]})"}) {
    auto a = batch(body);
    EXPECT_EQ(a.status, 400u) << body;
    EXPECT_EQ(a.body["code"], "bad_json") << body;
  }
  auto key = batch(R"({"ops":[{"op":"put","key":"","value":"v"}]})");
  EXPECT_EQ(key.status, 400u);
  EXPECT_EQ(key.body["code"], "bad_key");
  EXPECT_EQ(store_.revision(), 0u);
}

}  // namespace
}  // namespace livekv::handlers
