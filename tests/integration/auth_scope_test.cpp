// Prefix scopes of --auth-file tokens: a token scoped to app/ and jobs/ can neither read nor write
// a key outside them, by any route. A batch touching one key outside is refused whole (nothing
// written); a listing of a prefix wholly outside is 403 and one partly inside shows only the keys in
// scope, page by page; a feed (SSE and WebSocket alike) on a key or prefix outside is 403, and an
// open one delivers only events of keys in scope: a batch with just its in-scope ops at the same
// revision, no expiry of a key outside, no history replay of one either.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/auth_file.hpp"
#include "support/feed_events.hpp"
#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<token_entry>& scope_tokens() {
  static const std::vector<token_entry> tokens = {
      {"root", {"read", "write", "admin"}},
      {"scoped", {"read", "write"}, {"app/", "jobs/"}},
  };
  return tokens;
}

class auth_scope_test : protected auth_file, public server_test {
 protected:
  auth_scope_test() : auth_file(scope_tokens()), server_test({"--auth-file", auth_path().string()}) {}

  std::uint64_t put_as_root(const std::string& key, const std::string& value, const std::string& query = "") {
    const auto res = client().put(kv_path(key) + query, value, bearer("root"));
    EXPECT_TRUE(res.status == 200 || res.status == 201) << res;
    const auto j = res.json();
    return j.is_object() ? j.value("revision", std::uint64_t{0}) : 0;
  }
  http_response as_scoped(verb method, const std::string& target, std::string body = {}) {
    header_list h = bearer("scoped");
    if (method == verb::post) h.emplace_back("Content-Type", "application/json");
    return client().request(method, target, std::move(body), h);
  }
  http_response batch_as(const std::string& token, const json& body) {
    header_list h = bearer(token);
    h.emplace_back("Content-Type", "application/json");
    return client().request(verb::post, "/v1/batch", body.dump(), h);
  }
  int root_get_status(const std::string& key) { return client().get(kv_path(key), bearer("root")).status; }

  // Every key the scoped token sees under `prefix`, page by page with `limit`, following next.
  std::vector<std::string> scoped_listing(const std::string& prefix, std::size_t limit, std::size_t& pages) {
    std::vector<std::string> keys;
    std::optional<std::string> after;
    pages = 0;
    while (pages < 100) {
      std::string target = "/v1/kv?prefix=" + query_escape(prefix) + "&limit=" + std::to_string(limit);
      if (after) target += "&start_after=" + query_escape(*after);
      const auto res = as_scoped(verb::get, target);
      EXPECT_EQ(res.status, 200) << res;
      if (res.status != 200) break;
      ++pages;
      const auto j = res.json();
      EXPECT_LE(j["items"].size(), limit) << res;
      for (const auto& item : j["items"]) keys.push_back(item["key"].get<std::string>());
      if (j["next"].is_null()) break;
      after = j["next"].get<std::string>();
    }
    return keys;
  }
};

TEST_F(auth_scope_test, a_key_outside_the_prefixes_is_403_for_get_head_put_delete_and_cas) {
  put_as_root("other/k", "v");
  EXPECT_TRUE(is_problem(as_scoped(verb::get, "/v1/kv/other/k"), 403, "forbidden"));
  EXPECT_EQ(as_scoped(verb::head, "/v1/kv/other/k").status, 403);
  EXPECT_TRUE(is_problem(as_scoped(verb::get, "/v1/kv/other/k?wait=0&timeout=1"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(as_scoped(verb::put, "/v1/kv/other/new", "x"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(as_scoped(verb::put, "/v1/kv/ap", "x"), 403, "forbidden")) << "a prefix of a prefix is outside";
  EXPECT_TRUE(is_problem(as_scoped(verb::delete_, "/v1/kv/other/k"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(as_scoped(verb::post, "/v1/cas/other/k", R"({"expected": "v", "new": "w"})"), 403, "forbidden"));
  EXPECT_EQ(root_get_status("other/new"), 404);
  EXPECT_EQ(root_get_status("ap"), 404);
  EXPECT_EQ(client().get("/v1/kv/other/k", bearer("root")).body, "v") << "neither deleted nor swapped";

  EXPECT_EQ(as_scoped(verb::put, "/v1/kv/app/k", "x").status, 201);
  EXPECT_EQ(as_scoped(verb::get, "/v1/kv/jobs/none").status, 404) << "inside: the key's own answer";
}

TEST_F(auth_scope_test, a_batch_with_one_op_outside_is_refused_whole_and_writes_nothing) {
  const auto before = current_revision();
  const auto res = as_scoped(verb::post, "/v1/batch",
                             json({{"ops",
                                    {{{"op", "put"}, {"key", "app/a"}, {"value", "1"}},
                                     {{"op", "put"}, {"key", "other/b"}, {"value", "2"}},
                                     {{"op", "put"}, {"key", "jobs/c"}, {"value", "3"}}}}})
                                 .dump());
  EXPECT_TRUE(is_problem(res, 403, "forbidden"));
  EXPECT_EQ(root_get_status("app/a"), 404);
  EXPECT_EQ(root_get_status("other/b"), 404);
  EXPECT_EQ(root_get_status("jobs/c"), 404);
  EXPECT_EQ(current_revision(), before);
}

TEST_F(auth_scope_test, a_batch_with_a_condition_on_a_key_outside_is_refused) {
  put_as_root("other/flag", "on");
  const auto res = as_scoped(verb::post, "/v1/batch",
                             json({{"if", {{{"key", "other/flag"}, {"value", "on"}}}},
                                   {"ops", {{{"op", "put"}, {"key", "app/a"}, {"value", "1"}}}}})
                                 .dump());
  EXPECT_TRUE(is_problem(res, 403, "forbidden")) << "a condition would read a key outside";
  EXPECT_EQ(root_get_status("app/a"), 404);
}

TEST_F(auth_scope_test, a_batch_wholly_inside_applies) {
  const auto res = as_scoped(verb::post, "/v1/batch",
                             json({{"ops",
                                    {{{"op", "put"}, {"key", "app/a"}, {"value", "1"}},
                                     {{"op", "put"}, {"key", "jobs/c"}, {"value", "3"}}}}})
                                 .dump());
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_EQ(root_get_status("app/a"), 200);
  EXPECT_EQ(root_get_status("jobs/c"), 200);
}

TEST_F(auth_scope_test, listing_a_prefix_wholly_outside_is_403) {
  put_as_root("other/k", "v");
  EXPECT_TRUE(is_problem(as_scoped(verb::get, "/v1/kv?prefix=other/"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(as_scoped(verb::get, "/v1/kv?prefix=b"), 403, "forbidden"));
  EXPECT_EQ(as_scoped(verb::get, "/v1/kv?prefix=app/").status, 200);
  EXPECT_EQ(as_scoped(verb::get, "/v1/kv?prefix=app/x").status, 200) << "inside a prefix of the token";
}

TEST_F(auth_scope_test, listing_a_wider_prefix_shows_only_the_keys_in_scope) {
  for (const char* k : {"a", "aa", "app", "app/1", "app/2", "apple", "jobs/1", "other/1", "zz"}) put_as_root(k, "v");
  std::size_t pages = 0;
  EXPECT_EQ(scoped_listing("", 100, pages), (std::vector<std::string>{"app/1", "app/2", "jobs/1"}));
  EXPECT_EQ(scoped_listing("a", 100, pages), (std::vector<std::string>{"app/1", "app/2"}));
  const auto values = as_scoped(verb::get, "/v1/kv?prefix=&values=true");
  ASSERT_EQ(values.status, 200) << values;
  EXPECT_EQ(values.body.find("other/1"), std::string::npos) << values;
  EXPECT_EQ(values.body.find("\"apple\""), std::string::npos) << values;
}

TEST_F(auth_scope_test, a_scoped_listing_pages_through_every_key_in_scope_once_in_order) {
  for (const char* k : {"a", "app/1", "app/2", "app/3", "b", "jobs/1", "jobs/2", "jobs/3", "jobs/4", "z"})
    put_as_root(k, "v");
  const std::vector<std::string> expected = {"app/1", "app/2", "app/3", "jobs/1", "jobs/2", "jobs/3", "jobs/4"};
  for (std::size_t limit : {1u, 2u, 3u, 4u, 6u}) {
    SCOPED_TRACE("limit=" + std::to_string(limit));
    std::size_t pages = 0;
    EXPECT_EQ(scoped_listing("", limit, pages), expected);
    EXPECT_EQ(pages, (expected.size() + limit - 1) / limit);
  }
  // start_after resumes from any key, in scope or not.
  const auto from_b = as_scoped(verb::get, "/v1/kv?prefix=&start_after=b&limit=2");
  ASSERT_EQ(from_b.status, 200) << from_b;
  EXPECT_EQ(from_b.json()["items"][0]["key"], "jobs/1") << from_b;
  EXPECT_EQ(from_b.json()["next"], "jobs/2") << from_b;
}

TEST_F(auth_scope_test, a_scoped_page_that_holds_the_last_key_in_scope_has_no_next) {
  for (const char* k : {"app/1", "app/2", "jobs/1", "z"}) put_as_root(k, "v");
  const auto res = as_scoped(verb::get, "/v1/kv?prefix=&limit=3");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.json()["items"].size(), 3u) << res;
  EXPECT_TRUE(res.json()["next"].is_null()) << "as an unscoped listing: no next after the last key\n" << res;
  const auto mid = as_scoped(verb::get, "/v1/kv?prefix=&limit=2");
  EXPECT_EQ(mid.json()["next"], "app/2") << "the first range ends with the page, the next one has keys\n" << mid;
}

// --- feeds: the same checks over Server-Sent Events and over the WebSocket ---------------------

// One subscriber of the scoped (or another) token, over either transport.
class feed_stream {
 public:
  feed_stream(std::uint16_t port, bool websocket) : port_(port), websocket_(websocket) {}

  // `query`: the subscription's parameters ("prefix=app/", "key=app/k", ...); the answer to it.
  http_response open(const std::string& query, const std::string& token_name) {
    if (websocket_) {
      ws_ = std::make_unique<ws_client>(port_, ws_options::with_headers(bearer(token_name)));
      return ws_->connect("/wal" + std::string(query.empty() ? "" : "?") + query);
    }
    sse_ = std::make_unique<sse_reader>(port_);
    return sse_->open("/v1/watch" + std::string(query.empty() ? "" : "?") + query, bearer(token_name));
  }

  // The next event that is not a progress bookmark; a discarded value (and a failure) when none.
  json next_change() {
    for (;;) {
      json e;
      if (websocket_) {
        auto m = ws_->read_event();
        if (!m) {
          ADD_FAILURE() << "no event: " << ws_->error();
          return json(json::value_t::discarded);
        }
        e = *m;
      } else {
        auto b = sse_->read_event();
        if (!b) {
          ADD_FAILURE() << "no event: " << sse_->error();
          return json(json::value_t::discarded);
        }
        e = b->json();
      }
      if (e.value("op", "") != "progress") return e;
    }
  }

 private:
  std::uint16_t port_;
  bool websocket_;
  std::unique_ptr<ws_client> ws_;
  std::unique_ptr<sse_reader> sse_;
};

class auth_scope_feed_test : public auth_scope_test, public testing::WithParamInterface<bool> {
 protected:
  feed_stream stream() const { return feed_stream(server_.port(), GetParam()); }
  feed_stream subscribe(const std::string& query, const std::string& token = "scoped") {
    feed_stream s = stream();
    const auto res = s.open(query, token);
    EXPECT_EQ(res.status, GetParam() ? 101 : 200) << res;
    return s;
  }
};

INSTANTIATE_TEST_SUITE_P(transports, auth_scope_feed_test, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "websocket" : "sse"; });

TEST_P(auth_scope_feed_test, a_watch_on_a_key_or_prefix_outside_is_403) {
  for (const std::string query : {"key=other/k", "prefix=other/", "prefix=b", "key=app/k&key=other/k"}) {
    SCOPED_TRACE(query);
    auto s = stream();
    EXPECT_TRUE(is_problem(s.open(query, "scoped"), 403, "forbidden"));
  }
}

TEST_P(auth_scope_feed_test, an_unfiltered_watch_delivers_only_the_keys_in_scope) {
  auto s = subscribe("");
  put_as_root("other/1", "x");
  const auto r1 = put_as_root("app/1", "x");
  put_as_root("a", "x");
  put_as_root("apple", "x");
  const auto r2 = put_as_root("jobs/1", "x");
  ASSERT_EQ(client().del("/v1/kv/other/1", bearer("root")).status, 200);
  const auto r3 = put_as_root("app/2", "x");
  const auto e1 = s.next_change();
  EXPECT_EQ(e1.value("key", ""), "app/1") << e1.dump();
  EXPECT_EQ(e1.value("rev", std::uint64_t{0}), r1);
  const auto e2 = s.next_change();
  EXPECT_EQ(e2.value("key", ""), "jobs/1") << e2.dump();
  EXPECT_EQ(e2.value("rev", std::uint64_t{0}), r2);
  const auto e3 = s.next_change();
  EXPECT_EQ(e3.value("key", ""), "app/2") << e3.dump();
  EXPECT_EQ(e3.value("rev", std::uint64_t{0}), r3);
}

TEST_P(auth_scope_feed_test, a_watch_on_a_prefix_partly_inside_is_narrowed_to_the_scope) {
  auto s = subscribe("prefix=a");
  put_as_root("a", "x");
  put_as_root("apple", "x");
  const auto r = put_as_root("app/1", "x");
  const auto e = s.next_change();
  EXPECT_EQ(e.value("key", ""), "app/1") << e.dump();
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), r);
}

TEST_P(auth_scope_feed_test, a_batch_event_carries_only_the_ops_in_scope_at_the_batch_revision) {
  auto s = subscribe("");
  const auto batch = batch_as("root", {{"ops",
                                        {{{"op", "put"}, {"key", "other/x"}, {"value", "1"}},
                                         {{"op", "put"}, {"key", "app/a"}, {"value", "2"}},
                                         {{"op", "put"}, {"key", "zz"}, {"value", "3"}},
                                         {{"op", "put"}, {"key", "jobs/c"}, {"value", "4"}}}}});
  ASSERT_EQ(batch.status, 200) << batch;
  const std::uint64_t rev = batch.json()["revision"].get<std::uint64_t>();
  // A batch wholly outside is not delivered at all.
  const auto outside = batch_as("root", {{"ops", {{{"op", "put"}, {"key", "other/y"}, {"value", "5"}}}}});
  ASSERT_EQ(outside.status, 200) << outside;
  const auto marker = put_as_root("app/marker", "m");

  const auto e = s.next_change();
  EXPECT_TRUE(is_well_formed_event(e));
  EXPECT_EQ(e.value("op", ""), "batch") << e.dump();
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), rev) << e.dump();
  ASSERT_TRUE(e.contains("ops") && e["ops"].is_array()) << e.dump();
  ASSERT_EQ(e["ops"].size(), 2u) << e.dump();
  EXPECT_EQ(e["ops"][0].value("key", ""), "app/a") << e.dump();
  EXPECT_EQ(e["ops"][1].value("key", ""), "jobs/c") << e.dump();
  EXPECT_EQ(e.dump().find("other/"), std::string::npos) << e.dump();
  const auto next = s.next_change();
  EXPECT_EQ(next.value("key", ""), "app/marker") << next.dump();
  EXPECT_EQ(next.value("rev", std::uint64_t{0}), marker);
}

TEST_P(auth_scope_feed_test, expiry_events_of_keys_outside_are_not_delivered) {
  auto scoped = subscribe("");
  auto root = subscribe("", "root");
  put_as_root("other/t", "x", "?ttl=0.05");
  put_as_root("app/t", "x", "?ttl=0.05");
  // Both expire; the root subscriber sees both, which tells when the scoped one has had its chance.
  std::vector<std::string> root_expired;
  for (int i = 0; i < 10 && root_expired.size() < 2; ++i) {
    const auto e = root.next_change();
    if (!e.is_object()) break;
    if (e.value("op", "") == "expire") root_expired.push_back(e.value("key", ""));
  }
  std::sort(root_expired.begin(), root_expired.end());
  ASSERT_EQ(root_expired, (std::vector<std::string>{"app/t", "other/t"}));
  const auto marker = put_as_root("app/marker", "m");

  std::vector<json> seen;
  for (;;) {
    const auto e = scoped.next_change();
    if (!e.is_object()) break;
    seen.push_back(e);
    if (e.value("key", "") == "app/marker") break;
  }
  std::vector<std::string> expired;
  for (const auto& e : seen) {
    EXPECT_EQ(e.dump().find("other/"), std::string::npos) << e.dump();
    if (e.value("op", "") == "expire") expired.push_back(e.value("key", ""));
  }
  EXPECT_EQ(expired, std::vector<std::string>{"app/t"});
  EXPECT_EQ(seen.empty() ? std::uint64_t{0} : seen.back().value("rev", std::uint64_t{0}), marker);
}

TEST_P(auth_scope_feed_test, a_replay_from_history_delivers_only_the_keys_in_scope) {
  put_as_root("other/1", "x");
  const auto r1 = put_as_root("app/1", "x");
  put_as_root("other/2", "x");
  const auto r2 = put_as_root("jobs/1", "x");
  auto s = subscribe("since=0");
  const auto e1 = s.next_change();
  EXPECT_EQ(e1.value("key", ""), "app/1") << e1.dump();
  EXPECT_EQ(e1.value("rev", std::uint64_t{0}), r1);
  const auto e2 = s.next_change();
  EXPECT_EQ(e2.value("key", ""), "jobs/1") << e2.dump();
  EXPECT_EQ(e2.value("rev", std::uint64_t{0}), r2);
}

TEST_F(auth_scope_test, a_post_watch_naming_a_key_outside_is_403) {
  sse_reader reader(server_.port());
  EXPECT_TRUE(is_problem(reader.open(verb::post, "/v1/watch", R"(["app/a", "other/b"])", bearer("scoped")), 403,
                         "forbidden"));
  sse_reader inside(server_.port());
  EXPECT_EQ(inside.open(verb::post, "/v1/watch", R"(["app/a", "jobs/b"])", bearer("scoped")).status, 200);
}

}  // namespace
}  // namespace livekv::test
