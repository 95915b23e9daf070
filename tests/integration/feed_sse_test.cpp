// The live feed as Server-Sent Events: GET /v1/watch/{key}, GET /v1/watch?prefix=P, GET /v1/watch
// (everything) and POST /v1/watch with a JSON array of keys. The stream is text/event-stream without
// a Content-Length, opens with a retry hint, and carries one block per event: `id:` the revision
// (none for read events), `event:` the op, `data:` the same JSON as the WebSocket feed. A client
// resumes with Last-Event-ID (which wins over ?since=), and history that no longer reaches is 410.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/feed_events.hpp"
#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"

namespace livekv::test {
namespace {

using nlohmann::json;

// One SSE stream and the ordering checks on what it receives.
struct sse_subscription {
  std::unique_ptr<sse_reader> reader;
  feed_order order;

  // The next event's data, after checking the block: its event: line names the op, and its id: is
  // the revision for events that have one (writes, progress) and absent for read events. A
  // discarded value (and a recorded failure) when none arrives in time.
  json next() {
    const auto block = reader->read_event();
    if (!block) {
      ADD_FAILURE() << "expected an SSE event: " << reader->error();
      return json(json::value_t::discarded);
    }
    const json e = block->json();
    EXPECT_TRUE(is_well_formed_event(e)) << block->describe();
    EXPECT_TRUE(order.add(e));
    if (!e.is_object()) return e;
    const std::string op = e.value("op", "");
    EXPECT_EQ(block->event.value_or("<none>"), op) << block->describe();
    if (e.contains("rev") && e["rev"].is_number_unsigned()) {
      EXPECT_EQ(block->id.value_or("<none>"), std::to_string(e["rev"].get<std::uint64_t>())) << block->describe();
    }
    if (op == "get" || op == "list") {
      EXPECT_FALSE(block->id.has_value()) << "a read event has no id: " << block->describe();
    }
    EXPECT_EQ(block->field_lines().size(), block->id ? 3u : 2u)
        << "one id, event and data line each: " << block->describe();
    return e;
  }
  // The next event that is not a progress bookmark.
  json next_change() {
    for (;;) {
      json e = next();
      if (!e.is_object() || e.value("op", "") != "progress") return e;
    }
  }
};

json without_ts(json e) {
  if (e.is_object()) e.erase("ts");
  return e;
}

class feed_sse_test : public server_test {
 protected:
  explicit feed_sse_test(std::vector<std::string> args = {}) : server_test(std::move(args)) {}

  // Opens a stream and checks its head and its first block, the retry hint. `res` gets the answer.
  sse_subscription watch(verb method, const std::string& target, std::string body = {}, const header_list& headers = {}) {
    sse_subscription s{std::make_unique<sse_reader>(server_.port()), {}};
    const auto res = s.reader->open(method, target, std::move(body), headers);
    EXPECT_EQ(res.status, 200) << method << " " << target << ":\n" << res;
    EXPECT_TRUE(res.header("Content-Type").starts_with("text/event-stream")) << res;
    EXPECT_FALSE(res.headers.contains("Content-Length")) << "a stream has no length: " << res;
    EXPECT_FALSE(res.header("KV-Revision").empty()) << "every response carries KV-Revision: " << res;
    if (res.status == 200) {
      const auto first = s.reader->read_block();
      EXPECT_TRUE(first && first->lines == std::vector<std::string>{"retry: 2000"})
          << "the stream opens with the retry hint alone, got "
          << (first ? first->describe() : s.reader->error());
    }
    return s;
  }
  sse_subscription watch(const std::string& target, const header_list& headers = {}) {
    return watch(verb::get, target, {}, headers);
  }

  // A live stream: opened while nothing writes, its first event is progress at the current revision.
  sse_subscription watch_live(verb method, const std::string& target, std::string body = {}) {
    const std::uint64_t rev = current_revision();
    auto s = watch(method, target, std::move(body));
    EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", rev}})) << target;
    return s;
  }
  sse_subscription watch_live(const std::string& target) { return watch_live(verb::get, target); }

  // The answer to a watch request that is expected to be refused.
  http_response refused(const std::string& target, const header_list& headers = {}) {
    sse_reader r(server_.port());
    return r.open(verb::get, target, {}, headers);
  }

  std::uint64_t put(const std::string& key, const std::string& value, const std::string& query = "") {
    return put_key(client(), key, value, query);
  }
};

TEST_F(feed_sse_test, a_key_watch_streams_the_retry_hint_then_progress_then_that_keys_events) {
  put("other", "v");
  auto s = watch("/v1/watch/k");
  const auto block = s.reader->read_event();
  ASSERT_TRUE(block) << s.reader->error();
  const auto fields = block->field_lines();
  ASSERT_EQ(fields.size(), 3u) << block->describe();
  EXPECT_EQ(fields[0], "id: 1") << "the exact framing of an event";
  EXPECT_EQ(fields[1], "event: progress");
  ASSERT_TRUE(fields[2].starts_with("data: ")) << block->describe();
  EXPECT_EQ(json::parse(fields[2].substr(6), nullptr, false), json({{"op", "progress"}, {"rev", 1}}));
  put("other", "v2");
  const std::uint64_t r1 = put("k", "hello");
  put("k2", "v");
  const std::uint64_t r2 = delete_key(client(), "k");
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "k"}, {"rev", r1}, {"value", "hello"}, {"size", 5}, {"version", 1}}));
  EXPECT_EQ(without_ts(s.next_change()), json({{"op", "delete"}, {"key", "k"}, {"rev", r2}}));
}

TEST_F(feed_sse_test, progress_at_revision_zero_still_carries_id_0) {
  // Without it an EventSource that reconnects sends no Last-Event-ID and misses what was written
  // while it was away.
  auto s = watch("/v1/watch");
  const auto block = s.reader->read_event();
  ASSERT_TRUE(block) << s.reader->error();
  EXPECT_EQ(block->event.value_or("<none>"), "progress") << block->describe();
  EXPECT_EQ(block->id.value_or("<none>"), "0") << block->describe();
}

TEST_F(feed_sse_test, the_key_in_the_watch_path_is_percent_decoded) {
  put("seed", "v");
  auto s = watch_live("/v1/watch/dir/a%20b");
  put("dir/a%20b", "a literal percent: another key");
  const std::uint64_t rev = put("dir/a b", "v");
  const json e = s.next_change();
  EXPECT_EQ(e.value("key", ""), "dir/a b");
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), rev);
}

TEST_F(feed_sse_test, a_prefix_watch_streams_only_keys_under_the_prefix) {
  put("seed", "v");
  auto s = watch_live("/v1/watch?prefix=app/");
  put("app/1", "v");
  put("apple", "v");
  put("other", "v");
  put("app/2", "v");
  EXPECT_EQ(s.next_change().value("key", ""), "app/1");
  EXPECT_EQ(s.next_change().value("key", ""), "app/2");
}

TEST_F(feed_sse_test, a_watch_without_a_prefix_streams_every_write) {
  put("seed", "v");
  auto s = watch_live("/v1/watch");
  put("a", "1");
  cas_key(client(), "b", {{"expected", nullptr}, {"new", "2"}});
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "c"}, {"value", "3"}}}}});
  delete_key(client(), "a");
  std::vector<std::string> ops;
  for (int i = 0; i < 4; ++i) ops.push_back(s.next_change().value("op", ""));
  EXPECT_EQ(ops, (std::vector<std::string>{"put", "cas", "batch", "delete"}));
  EXPECT_EQ(s.order.last_rev(), 5u);
}

TEST_F(feed_sse_test, post_watch_with_a_key_array_streams_only_those_keys) {
  put("seed", "v");
  auto s = watch_live(verb::post, "/v1/watch", R"(["a","b c"])");
  for (const char* k : {"a", "b", "b c", "c", "ab"}) put(k, "v");
  put("a", "v2");
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i) keys.push_back(s.next_change().value("key", ""));
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b c", "a"}));
}

TEST_F(feed_sse_test, include_prev_adds_the_previous_value) {
  const std::uint64_t r1 = put("k", "old");
  auto s = watch_live("/v1/watch/k?include=prev");
  put("k", "new");
  EXPECT_EQ(s.next_change()["prev"], json({{"value", "old"}, {"size", 3}, {"mod_rev", r1}}));
}

TEST_F(feed_sse_test, read_events_have_no_id_line) {
  put("k", "v");
  auto s = watch_live("/v1/watch/k?ops=all");
  ASSERT_EQ(client().get("/v1/kv/k").status, 200);
  const json e = s.next_change();  // next() checks that the block has no id: line
  EXPECT_EQ(e.value("op", ""), "get") << e.dump();
  EXPECT_EQ(e.value("found", false), true);
}

TEST_F(feed_sse_test, last_event_id_resumes_right_after_that_revision_then_goes_live) {
  for (int i = 1; i <= 5; ++i) put("k" + std::to_string(i), "v");
  auto s = watch("/v1/watch", {{"Last-Event-ID", "2"}});
  for (std::uint64_t rev = 3; rev <= 5; ++rev) EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), rev);
  const std::uint64_t live = put("k6", "v");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), live);
}

TEST_F(feed_sse_test, since_resumes_right_after_that_revision) {
  for (int i = 1; i <= 5; ++i) put("k" + std::to_string(i), "v");
  auto s = watch("/v1/watch?since=3");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), 4u);
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), 5u);
}

TEST_F(feed_sse_test, last_event_id_wins_over_since) {
  for (int i = 1; i <= 5; ++i) put("k" + std::to_string(i), "v");
  auto s = watch("/v1/watch?since=1", {{"Last-Event-ID", "4"}});
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), 5u);
}

TEST_F(feed_sse_test, a_resumed_key_watch_replays_only_that_keys_history) {
  put("other", "0");
  put("k", "1");
  put("other", "1");
  put("k", "2");
  auto s = watch("/v1/watch/k", {{"Last-Event-ID", "1"}});
  EXPECT_EQ(s.next_change().value("value", ""), "1");
  EXPECT_EQ(s.next_change().value("value", ""), "2");
  EXPECT_EQ(s.order.last_rev(), 4u);
}

TEST_F(feed_sse_test, a_bad_query_is_400_bad_query) {
  for (const char* target :
       {"/v1/watch?ops=bogus", "/v1/watch?since=abc", "/v1/watch?since=-1", "/v1/watch?frobnicate=1", "/v1/watch/k?since=x"}) {
    EXPECT_TRUE(is_problem(refused(target), 400, "bad_query")) << target;
  }
}

TEST_F(feed_sse_test, a_resume_point_that_is_not_a_revision_or_is_ahead_of_the_store_is_400) {
  put("a", "v");
  // The contract names no code for these: a 400 problem is what it promises.
  for (const auto& [target, headers] : std::vector<std::pair<std::string, header_list>>{
           {"/v1/watch?since=2", {}}, {"/v1/watch", {{"Last-Event-ID", "2"}}}, {"/v1/watch", {{"Last-Event-ID", "abc"}}}}) {
    const auto res = refused(target, headers);
    EXPECT_EQ(res.status, 400) << target << ":\n" << res;
    EXPECT_EQ(res.header("Content-Type"), "application/problem+json") << res;
  }
}

TEST_F(feed_sse_test, a_post_watch_body_that_is_not_an_array_of_keys_is_400) {
  for (const char* body : {"", "not json", R"({"keys":["a"]})", "[1,2]", R"("a")"}) {
    sse_reader r(server_.port());
    const auto res = r.open(verb::post, "/v1/watch", body);
    EXPECT_EQ(res.status, 400) << "body '" << body << "':\n" << res;
    EXPECT_EQ(res.header("Content-Type"), "application/problem+json") << res;
  }
}

class feed_sse_progress_test : public feed_sse_test {
 protected:
  feed_sse_progress_test() : feed_sse_test({"--feed-progress", "1s"}) {}
};

TEST_F(feed_sse_progress_test, an_idle_stream_gets_progress_events_and_heartbeat_comments) {
  put("a", "v");
  auto s = watch_live("/v1/watch");
  const std::uint64_t rev = put("b", "v");
  EXPECT_EQ(s.next().value("rev", std::uint64_t{0}), rev);
  EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", rev}})) << "an idle bookmark at the newest revision";
  bool heartbeat = false;
  for (const auto& c : s.reader->comments()) heartbeat = heartbeat || c == " heartbeat" || c == "heartbeat";
  EXPECT_TRUE(heartbeat) << "no ': heartbeat' comment on an idle stream";
}

constexpr int history_events = 16;

class feed_sse_history_test : public feed_sse_test {
 protected:
  feed_sse_history_test() : feed_sse_test({"--feed-history", std::to_string(history_events), "--in-memory"}) {}
};

TEST_F(feed_sse_history_test, a_resume_point_older_than_the_history_is_410_compacted) {
  for (int i = 0; i < 100; ++i) put("k" + std::to_string(i), "v");
  for (const auto& [target, headers] : std::vector<std::pair<std::string, header_list>>{
           {"/v1/watch?since=1", {}}, {"/v1/watch", {{"Last-Event-ID", "1"}}}, {"/v1/watch/k5?since=1", {}}}) {
    const auto res = refused(target, headers);
    EXPECT_TRUE(is_problem(res, 410, "history_compacted")) << target;
    ASSERT_EQ(res.status, 410) << target << ":\n" << res;
    const json j = res.json();
    ASSERT_TRUE(j.contains("compact_revision") && j["compact_revision"].is_number_unsigned()) << res;
    EXPECT_GE(j["compact_revision"].get<std::uint64_t>(), 1u) << res;
    EXPECT_LE(j["compact_revision"].get<std::uint64_t>(), 100u - history_events) << res;
  }
  auto s = watch("/v1/watch", {{"Last-Event-ID", std::to_string(100 - history_events)}});
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), 100u - history_events + 1);
}

}  // namespace
}  // namespace livekv::test
