// POST /v1/batch: conditions and operations applied atomically under one revision. A failing
// condition applies nothing; limits from --max-batch-ops and --max-batch-bytes give 413; a body that
// is not the documented JSON is a 400; and no reader ever sees half of a batch.
#include <gtest/gtest.h>

#include <atomic>
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

constexpr int max_batch_ops = 4;

class batch_test : public server_test {
 protected:
  batch_test()
      : server_test({"--max-batch-ops", std::to_string(max_batch_ops), "--max-batch-bytes", "4KiB"}) {}

  http_response batch(const json& body) { return post_json(client(), "/v1/batch", body); }
  http_response batch_raw(std::string body) {
    return client().request(verb::post, "/v1/batch", std::move(body), {{"Content-Type", "application/json"}});
  }
  std::uint64_t put(const std::string& key, const std::string& value) {
    const auto res = client().put(kv_path(key), value);
    EXPECT_TRUE(res.status == 200 || res.status == 201) << res;
    return res.json().value("revision", std::uint64_t{0});
  }
};

TEST_F(batch_test, all_operations_apply_under_one_revision) {
  put("c", "doomed");
  const auto res = batch({{"ops",
                           {{{"op", "put"}, {"key", "a"}, {"value", "1"}},
                            {{"op", "put"}, {"key", "b"}, {"value", "2"}},
                            {{"op", "delete"}, {"key", "c"}},
                            {{"op", "put"}, {"key", "a"}, {"value", "3"}}}}});
  ASSERT_EQ(res.status, 200) << res;
  auto j = res.json();
  EXPECT_EQ(j["revision"], 2) << res;
  ASSERT_TRUE(j["results"].is_array() && j["results"].size() == 4) << res;
  EXPECT_EQ(j["results"][0], json({{"op", "put"}, {"key", "a"}, {"created", true}}));
  EXPECT_EQ(j["results"][1], json({{"op", "put"}, {"key", "b"}, {"created", true}}));
  EXPECT_EQ(j["results"][2], json({{"op", "delete"}, {"key", "c"}, {"deleted", true}}));
  EXPECT_EQ(j["results"][3], json({{"op", "put"}, {"key", "a"}, {"created", false}}));
  const auto a = client().get("/v1/kv/a");
  const auto b = client().get("/v1/kv/b");
  EXPECT_EQ(a.body, "3") << "later operations of a batch see the earlier ones";
  EXPECT_EQ(b.body, "2");
  EXPECT_EQ(a.header("KV-Mod-Revision"), "2");
  EXPECT_EQ(b.header("KV-Mod-Revision"), "2");
  EXPECT_TRUE(is_problem(client().get("/v1/kv/c"), 404, "key_not_found"));
  EXPECT_EQ(current_revision(), 2u) << "one revision for the whole batch";
}

TEST_F(batch_test, conditions_that_hold_let_the_batch_apply) {
  const std::uint64_t ra = put("a", "1");
  const auto res = batch({{"if",
                           {{{"key", "a"}, {"mod_revision", ra}},
                            {{"key", "a"}, {"value", "1"}},
                            {{"key", "nope"}, {"exists", false}}}},
                          {"ops", {{{"op", "put"}, {"key", "b"}, {"value", "2"}}}}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.json()["revision"], ra + 1);
  EXPECT_EQ(client().get("/v1/kv/b").body, "2");
}

TEST_F(batch_test, a_failing_condition_applies_nothing_and_names_its_index) {
  const std::uint64_t ra = put("a", "1");
  const std::uint64_t rb = put("b", "2");
  const auto res = batch({{"if", {{{"key", "a"}, {"exists", true}}, {{"key", "b"}, {"mod_revision", ra}}}},
                          {"ops",
                           {{{"op", "put"}, {"key", "a"}, {"value", "changed"}}, {{"op", "delete"}, {"key", "b"}}}}});
  ASSERT_TRUE(is_problem(res, 409, "condition_failed"));
  auto j = res.json();
  EXPECT_EQ(j["failed_condition"], 1) << res;
  EXPECT_EQ(j["current_revision"], rb) << res;
  EXPECT_EQ(client().get("/v1/kv/a").body, "1");
  EXPECT_EQ(client().get("/v1/kv/b").body, "2");
  EXPECT_EQ(current_revision(), rb) << "a failed batch takes no revision";
}

TEST_F(batch_test, each_condition_kind_can_fail) {
  put("a", "1");
  const json ops = {{{"op", "put"}, {"key", "x"}, {"value", "x"}}};
  for (const json& cond : {json{{"key", "a"}, {"value", "2"}}, json{{"key", "a"}, {"exists", false}},
                           json{{"key", "zz"}, {"exists", true}}, json{{"key", "a"}, {"mod_revision", 0}},
                           json{{"key", "zz"}, {"value", ""}}}) {
    const auto res = batch({{"if", json::array({cond})}, {"ops", ops}});
    EXPECT_TRUE(is_problem(res, 409, "condition_failed")) << cond.dump();
    EXPECT_EQ(res.json()["failed_condition"], 0) << res;
  }
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(batch_test, a_put_in_a_batch_can_carry_a_ttl) {
  const auto res = batch({{"ops",
                           {{{"op", "put"}, {"key", "brief"}, {"value", "v"}, {"ttl", 100}},
                            {{"op", "put"}, {"key", "lasting"}, {"value", "v"}}}}});
  ASSERT_EQ(res.status, 200) << res;
  const auto brief = client().get("/v1/kv/brief");
  ASSERT_TRUE(brief.headers.contains("KV-TTL")) << brief;
  EXPECT_GT(std::stod(brief.header("KV-TTL")), 0.0);
  EXPECT_LE(std::stod(brief.header("KV-TTL")), 100.0);
  EXPECT_FALSE(client().get("/v1/kv/lasting").headers.contains("KV-TTL"));
}

TEST_F(batch_test, get_operations_return_the_value_and_its_metadata) {
  const std::uint64_t ra = put("a", "1");
  const auto res = batch({{"ops", {{{"op", "get"}, {"key", "a"}}, {{"op", "get"}, {"key", "missing"}}}}});
  ASSERT_EQ(res.status, 200) << res;
  auto j = res.json();
  EXPECT_EQ(j["revision"], ra) << "a batch of reads takes no revision";
  ASSERT_EQ(j["results"].size(), 2u) << res;
  auto& found = j["results"][0];
  EXPECT_EQ(found["op"], "get");
  EXPECT_EQ(found["found"], true);
  EXPECT_EQ(found["value"], "1");
  EXPECT_EQ(found["create_revision"], ra);
  EXPECT_EQ(found["mod_revision"], ra);
  EXPECT_EQ(found["version"], 1);
  EXPECT_EQ(j["results"][1], json({{"op", "get"}, {"key", "missing"}, {"found", false}}));
  EXPECT_EQ(current_revision(), ra);
}

TEST_F(batch_test, more_than_max_batch_ops_is_413_too_many_ops) {
  json ops = json::array();
  for (int i = 0; i < max_batch_ops; ++i) ops.push_back({{"op", "put"}, {"key", "k" + std::to_string(i)}, {"value", "v"}});
  ASSERT_EQ(batch({{"ops", ops}}).status, 200);
  ops.push_back({{"op", "put"}, {"key", "over"}, {"value", "v"}});
  EXPECT_TRUE(is_problem(batch({{"ops", ops}}), 413, "too_many_ops"));
  // Conditions count towards the limit too.
  json three = json::array();
  for (int i = 0; i < 3; ++i) three.push_back({{"op", "put"}, {"key", "c" + std::to_string(i)}, {"value", "v"}});
  EXPECT_TRUE(is_problem(batch({{"if", {{{"key", "k0"}, {"exists", true}}, {{"key", "k1"}, {"exists", true}}}},
                                {"ops", three}}),
                         413, "too_many_ops"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/over"), 404, "key_not_found"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/c0"), 404, "key_not_found"));
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(batch_test, a_body_over_max_batch_bytes_is_413) {
  const json body = {{"ops", {{{"op", "put"}, {"key", "big"}, {"value", std::string(5000, 'v')}}}}};
  const auto res = batch(body);
  EXPECT_EQ(res.status, 413) << res;
  EXPECT_EQ(res.header("Content-Type"), "application/problem+json") << res;
  EXPECT_TRUE(is_problem(client().get("/v1/kv/big"), 404, "key_not_found"));
}

TEST_F(batch_test, malformed_batches_are_400_bad_json_and_apply_nothing) {
  put("a", "1");
  const std::vector<std::string> bodies = {
      "",
      "nope",
      "{\"ops\": [",
      "[]",
      "null",
      "{}",
      R"({"ops":{}})",
      R"({"ops":null})",
      R"({"ops":[],"extra":1})",
      R"({"if":{},"ops":[]})",
      R"({"ops":[1]})",
      R"({"ops":[{}]})",
      R"({"ops":[{"key":"a","value":"v"}]})",
      R"({"ops":[{"op":"frob","key":"a"}]})",
      R"({"ops":[{"op":7,"key":"a"}]})",
      R"({"ops":[{"op":"put","key":"a"}]})",
      R"({"ops":[{"op":"put","value":"v"}]})",
      R"({"ops":[{"op":"put","key":1,"value":"v"}]})",
      R"({"ops":[{"op":"put","key":"a","value":1}]})",
      R"({"ops":[{"op":"put","key":"a","value":"v","ttl":"5"}]})",
      R"({"ops":[{"op":"put","key":"a","value":"v","ttl":0}]})",
      R"({"ops":[{"op":"put","key":"a","value":"v","extra":1}]})",
      R"({"ops":[{"op":"put","key":"a","value":"v","value_base64":"dg=="}]})",
      R"({"ops":[{"op":"put","key":"a","value_base64":"%%%"}]})",
      R"({"ops":[{"op":"delete","key":"a","value":"v"}]})",
      R"({"ops":[{"op":"get"}]})",
      R"({"if":[1],"ops":[]})",
      R"({"if":[{"key":"a"}],"ops":[]})",
      R"({"if":[{"key":"a","mod_revision":1,"exists":true}],"ops":[]})",
      R"({"if":[{"key":"a","mod_revision":-1}],"ops":[]})",
      R"({"if":[{"key":"a","mod_revision":"1"}],"ops":[]})",
      R"({"if":[{"key":"a","mod_revision":1.5}],"ops":[]})",
      R"({"if":[{"key":"a","exists":"yes"}],"ops":[]})",
      R"({"if":[{"key":"a","value":5}],"ops":[]})",
      R"({"if":[{"exists":true}],"ops":[]})",
      R"({"if":[{"key":"a","exists":true,"other":1}],"ops":[]})",
  };
  for (const auto& body : bodies) {
    const auto res = batch_raw(body);
    EXPECT_TRUE(is_problem(res, 400, "bad_json")) << "body: " << body;
  }
  EXPECT_EQ(client().get("/v1/kv/a").body, "1");
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(batch_test, an_invalid_key_in_a_batch_is_400_bad_key) {
  EXPECT_TRUE(is_problem(batch({{"ops", {{{"op", "put"}, {"key", ""}, {"value", "v"}}}}}), 400, "bad_key"));
  EXPECT_TRUE(is_problem(batch({{"ops", {{{"op", "put"}, {"key", "a\nb"}, {"value", "v"}}}}}), 400, "bad_key"));
  EXPECT_EQ(current_revision(), 0u);
}

// One writer replaces pair/a and pair/b with the same value in one batch, over and over; readers
// list both keys in one request. A listing that shows two different values saw half a batch.
constexpr int pair_writes = 1000;
constexpr int pair_readers = 3;
constexpr int max_reads_per_reader = 5'000;

TEST_F(batch_test, readers_never_see_half_a_batch) {
  const auto pair_batch = [](int i) {
    const std::string v = std::to_string(i);
    return json{{"ops", {{{"op", "put"}, {"key", "pair/a"}, {"value", v}}, {{"op", "put"}, {"key", "pair/b"}, {"value", v}}}}};
  };
  ASSERT_EQ(batch(pair_batch(0)).status, 200);

  std::atomic<bool> writer_done{false};
  std::vector<std::string> writer_failures;
  std::vector<std::vector<std::string>> reader_failures(pair_readers);
  std::vector<int> reads(pair_readers, 0);
  {
    std::latch start(pair_readers + 1);
    std::vector<std::jthread> threads;
    threads.emplace_back([&, port = server_.port()] {
      http_client writer(port);
      start.arrive_and_wait();
      for (int i = 1; i <= pair_writes; ++i) {
        const auto res = post_json(writer, "/v1/batch", pair_batch(i));
        if (res.status != 200) {
          writer_failures.push_back("batch " + std::to_string(i) + ":\n" + res.describe());
          break;
        }
      }
      writer_done = true;
    });
    for (int r = 0; r < pair_readers; ++r) {
      threads.emplace_back([&, r, port = server_.port()] {
        http_client reader(port);
        start.arrive_and_wait();
        long last = 0;
        // Read until the writer is done (and once more after), within a fixed budget.
        for (bool final_read = false; reads[r] < max_reads_per_reader && !final_read;) {
          final_read = writer_done.load();
          ++reads[r];
          const auto res = reader.get("/v1/kv?prefix=pair/&values=true");
          auto j = res.json();
          if (res.status != 200 || !j.is_object() || !j["items"].is_array() || j["items"].size() != 2) {
            reader_failures[r].push_back("listing:\n" + res.describe());
            return;
          }
          auto& a = j["items"][0];
          auto& b = j["items"][1];
          if (a["value"] != b["value"] || a["mod_revision"] != b["mod_revision"]) {
            reader_failures[r].push_back("half a batch: " + j.dump());
            return;
          }
          const long value = std::stol(a["value"].get<std::string>());
          if (value < last) {
            reader_failures[r].push_back("went back from " + std::to_string(last) + " to " + j.dump());
            return;
          }
          last = value;
        }
      });
    }
  }
  for (const auto& f : writer_failures) ADD_FAILURE() << "writer: " << f;
  for (int r = 0; r < pair_readers; ++r)
    for (const auto& f : reader_failures[r]) ADD_FAILURE() << "reader " << r << " (after " << reads[r] << " reads): " << f;
  EXPECT_EQ(client().get("/v1/kv/pair/a").body, std::to_string(pair_writes));
  EXPECT_EQ(client().get("/v1/kv/pair/b").body, std::to_string(pair_writes));
}

}  // namespace
}  // namespace livekv::test
