// Feed events: built from what the store's commit path reports (make_write_event), rendered once
// as the JSON of feed-spec.md. The events here come from a real kv_store through a recording
// observer, so their outcomes (previous entries, versions, deadlines) are the store's own.
#include "livekv/hub/event.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "livekv/store/clock.hpp"
#include "livekv/store/commit_observer.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::hub {
namespace {

using json = nlohmann::json;
using op_kind = store::operation::kind;
using origin = store::commit_request::kind;

constexpr std::size_t max_value = 1024;

// Remembers the event of every applied write commit, as the hub would build it.
class recording_observer final : public store::commit_observer {
 public:
  void on_commit(const store::commit_request& req, const store::commit_outcome& out) noexcept override {
    events.push_back(make_write_event(req, out));
  }
  std::vector<event_ptr> events;
};

store::operation put_op(std::string key, std::string value, std::int64_t ttl_ms = 0) {
  return {op_kind::put, std::move(key), store::make_value(value), ttl_ms, 0};
}
store::operation erase_op(std::string key) { return {op_kind::erase, std::move(key), nullptr, 0, 0}; }
store::operation get_op(std::string key) { return {op_kind::get, std::move(key), nullptr, 0, 0}; }

store::commit_request request(std::vector<store::operation> ops, origin o = origin::write) {
  store::commit_request r;
  r.ops = std::move(ops);
  r.origin = o;
  return r;
}

json parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

std::set<std::string> members(const json& j) {
  std::set<std::string> out;
  for (const auto& [name, v] : j.items()) out.insert(name);
  return out;
}

class event_test : public ::testing::Test {
 protected:
  event_test() { store_.add_observer(&seen_); }

  // Commits `r` and returns the event it published.
  event_ptr commit(const store::commit_request& r) {
    const auto before = seen_.events.size();
    auto out = store_.commit(r);
    EXPECT_TRUE(out.has_value() && out->applied);
    EXPECT_EQ(seen_.events.size(), before + 1);
    return seen_.events.back();
  }
  event_ptr put(std::string key, std::string value, std::int64_t ttl_ms = 0) {
    return commit(request({put_op(std::move(key), std::move(value), ttl_ms)}));
  }

  std::int64_t now() const { return clock_.now_ms(); }

  store::manual_clock clock_;
  recording_observer seen_;
  store::kv_store store_{clock_};
};

TEST_F(event_test, a_put_carries_key_revision_time_value_size_and_version) {
  put("other", "x");
  const auto ev = put("k", "text");
  EXPECT_EQ(ev->kind, event_kind::put);
  EXPECT_EQ(ev->rev, 2u);
  EXPECT_EQ(ev->ts_ms, now());
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(members(j), (std::set<std::string>{"op", "key", "rev", "ts", "value", "size", "version"})) << j;
  EXPECT_EQ(j["op"], "put");
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["rev"], 2);
  EXPECT_EQ(j["ts"], now());
  EXPECT_EQ(j["value"], "text");
  EXPECT_EQ(j["size"], 4);
  EXPECT_EQ(j["version"], 1);
}

TEST_F(event_test, a_rewrite_carries_the_keys_next_version) {
  put("k", "1");
  put("k", "2");
  const auto ev = put("k", "3");
  EXPECT_EQ(ev->ops.at(0).version, 3u);
  EXPECT_EQ(parse(ev->json(false, max_value))["version"], 3);
}

TEST_F(event_test, a_put_after_a_delete_starts_again_at_version_one) {
  put("k", "1");
  commit(request({erase_op("k")}));
  EXPECT_EQ(parse(put("k", "2")->json(false, max_value))["version"], 1);
}

TEST_F(event_test, a_put_with_a_ttl_says_when_it_expires) {
  const auto ev = put("k", "v", 5000);
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(j["expires_at"], now() + 5000);
}

TEST_F(event_test, a_utf8_value_is_sent_as_text) {
  const auto ev = put("k", "h\xc3\xa9llo \xe2\x9c\x93");
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(j["value"], "h\xc3\xa9llo \xe2\x9c\x93");
  EXPECT_EQ(j["size"], 10);
  EXPECT_FALSE(j.contains("value_base64"));
}

TEST_F(event_test, a_value_with_control_characters_is_escaped_text) {
  const std::string v = "line\n\t\"q\" \\ \x01\x1f end";
  const auto j = parse(put("k", v)->json(false, max_value));
  EXPECT_EQ(j["value"], v);
  EXPECT_EQ(j["size"], v.size());
}

TEST_F(event_test, a_value_that_is_not_utf8_is_sent_as_base64) {
  const auto ev = put("k", std::string("\xff\x00" "a", 3));
  const auto j = parse(ev->json(false, max_value));
  EXPECT_FALSE(j.contains("value"));
  EXPECT_EQ(j["value_base64"], "/wBh");
  EXPECT_EQ(j["size"], 3);
}

TEST_F(event_test, a_value_above_max_value_bytes_is_left_out_but_its_size_is_told) {
  const auto ev = put("k", std::string(101, 'x'));
  const auto j = parse(ev->json(false, 100));
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["size"], 101);
  EXPECT_FALSE(j.contains("value"));
  EXPECT_FALSE(j.contains("value_base64"));
  EXPECT_EQ(j["version"], 1);
}

TEST_F(event_test, a_value_of_exactly_max_value_bytes_is_sent_whole) {
  const auto j = parse(put("k", std::string(100, 'x'))->json(false, 100));
  EXPECT_EQ(j["value"], std::string(100, 'x'));
  EXPECT_FALSE(j.contains("truncated"));
}

TEST_F(event_test, a_binary_value_above_max_value_bytes_is_truncated_not_encoded) {
  const auto j = parse(put("k", std::string(200, '\xff'))->json(false, 100));
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["size"], 200);
  EXPECT_FALSE(j.contains("value_base64"));
}

TEST_F(event_test, the_previous_value_is_told_only_to_who_asked_for_it) {
  put("k", "old");
  const auto ev = put("k", "new");
  const auto plain = parse(ev->json(false, max_value));
  EXPECT_FALSE(plain.contains("prev")) << plain;
  const auto with_prev = parse(ev->json(true, max_value));
  ASSERT_TRUE(with_prev.contains("prev")) << with_prev;
  EXPECT_EQ(with_prev["prev"], (json{{"value", "old"}, {"size", 3}, {"mod_rev", 1}}));
  EXPECT_EQ(with_prev["value"], "new");
}

TEST_F(event_test, a_put_creating_its_key_has_no_prev_even_when_asked) {
  const auto j = parse(put("k", "v")->json(true, max_value));
  EXPECT_FALSE(j.contains("prev")) << j;
}

TEST_F(event_test, a_large_previous_value_is_truncated_like_any_value) {
  put("k", std::string(300, 'a'));
  const auto j = parse(put("k", "small")->json(true, 100));
  EXPECT_EQ(j["prev"], (json{{"truncated", true}, {"size", 300}, {"mod_rev", 1}})) << j;
  EXPECT_EQ(j["value"], "small");
}

TEST_F(event_test, a_delete_carries_only_key_revision_and_time) {
  put("k", "v");
  const auto ev = commit(request({erase_op("k")}));
  EXPECT_EQ(ev->kind, event_kind::erase);
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(members(j), (std::set<std::string>{"op", "key", "rev", "ts"})) << j;
  EXPECT_EQ(j["op"], "delete");
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["rev"], 2);
  EXPECT_EQ(j["ts"], now());
  const auto with_prev = parse(ev->json(true, max_value));
  EXPECT_EQ(with_prev["prev"], (json{{"value", "v"}, {"size", 1}, {"mod_rev", 1}}));
}

TEST_F(event_test, a_delete_of_a_missing_key_has_no_prev) {
  const auto ev = commit(request({erase_op("nothing")}));
  EXPECT_EQ(ev->kind, event_kind::erase);
  EXPECT_FALSE(parse(ev->json(true, max_value)).contains("prev"));
}

TEST_F(event_test, an_expiry_always_says_what_expired) {
  put("k", "was here", 1000);
  clock_.advance_ms(1000);
  const auto pass = store_.expire_due(10);
  ASSERT_EQ(pass.expired, 1u);
  const auto ev = seen_.events.back();
  EXPECT_EQ(ev->kind, event_kind::expire);
  EXPECT_EQ(ev->rev, 2u);
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(members(j), (std::set<std::string>{"op", "key", "rev", "ts", "prev"})) << j;
  EXPECT_EQ(j["op"], "expire");
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["ts"], now());
  EXPECT_EQ(j["prev"], (json{{"value", "was here"}, {"size", 8}, {"mod_rev", 1}}));
}

TEST_F(event_test, a_successful_cas_is_named_cas_and_carries_what_a_put_does) {
  put("k", "old");
  auto r = request({put_op("k", "new", 2000)}, origin::cas);
  r.conditions.push_back({store::condition::kind::value_equals, "k", 0, "old", true});
  const auto ev = commit(r);
  EXPECT_EQ(ev->kind, event_kind::cas);
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(members(j), (std::set<std::string>{"op", "key", "rev", "ts", "value", "size", "version", "expires_at"}))
      << j;
  EXPECT_EQ(j["op"], "cas");
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["rev"], 2);
  EXPECT_EQ(j["value"], "new");
  EXPECT_EQ(j["size"], 3);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["expires_at"], now() + 2000);
  EXPECT_EQ(parse(ev->json(true, max_value))["prev"], (json{{"value", "old"}, {"size", 3}, {"mod_rev", 1}}));
}

TEST_F(event_test, a_batch_lists_its_write_ops_and_not_its_reads) {
  put("b", "bee");
  const auto ev = commit(request({put_op("a", "1"), erase_op("b"), get_op("c")}, origin::batch));
  EXPECT_EQ(ev->kind, event_kind::batch);
  ASSERT_EQ(ev->ops.size(), 2u);
  const auto j = parse(ev->json(false, max_value));
  EXPECT_EQ(members(j), (std::set<std::string>{"op", "rev", "ts", "ops"})) << j;
  EXPECT_EQ(j["op"], "batch");
  EXPECT_EQ(j["rev"], 2);
  EXPECT_EQ(j["ts"], now());
  ASSERT_EQ(j["ops"].size(), 2u) << j;
  EXPECT_EQ(j["ops"][0], (json{{"op", "put"}, {"key", "a"}, {"value", "1"}, {"size", 1}, {"version", 1}}));
  EXPECT_EQ(j["ops"][1], (json{{"op", "delete"}, {"key", "b"}}));
}

TEST_F(event_test, a_batchs_ops_carry_prev_when_asked) {
  put("a", "old-a");
  const auto ev = commit(request({put_op("a", "new-a"), erase_op("a"), put_op("fresh", "f")}, origin::batch));
  const auto j = parse(ev->json(true, max_value));
  ASSERT_EQ(j["ops"].size(), 3u) << j;
  EXPECT_EQ(j["ops"][0]["prev"], (json{{"value", "old-a"}, {"size", 5}, {"mod_rev", 1}}));
  EXPECT_EQ(j["ops"][0]["version"], 2);
  // The second op saw the first one's write: same revision, the batch's own.
  EXPECT_EQ(j["ops"][1]["prev"], (json{{"value", "new-a"}, {"size", 5}, {"mod_rev", 2}}));
  EXPECT_FALSE(j["ops"][2].contains("prev"));
  EXPECT_FALSE(parse(ev->json(false, max_value))["ops"][0].contains("prev"));
}

TEST_F(event_test, a_batch_of_one_op_is_still_a_batch) {
  const auto ev = commit(request({put_op("a", "1")}, origin::batch));
  EXPECT_EQ(ev->kind, event_kind::batch);
  EXPECT_EQ(parse(ev->json(false, max_value))["ops"].size(), 1u);
}

TEST_F(event_test, a_plain_write_of_several_ops_is_shown_as_a_batch) {
  const auto ev = commit(request({put_op("a", "1"), put_op("b", "2")}));
  EXPECT_EQ(ev->kind, event_kind::batch);
  EXPECT_EQ(parse(ev->json(false, max_value))["ops"].size(), 2u);
}

TEST_F(event_test, a_batch_subset_lists_only_the_kept_ops) {
  const auto ev = commit(request({put_op("a", "1"), put_op("b", "2"), erase_op("c")}, origin::batch));
  const auto j = parse(ev->json_subset(false, max_value, {false, true, true}));
  EXPECT_EQ(j["op"], "batch");
  EXPECT_EQ(j["rev"], ev->rev);
  ASSERT_EQ(j["ops"].size(), 2u) << j;
  EXPECT_EQ(j["ops"][0]["key"], "b");
  EXPECT_EQ(j["ops"][1]["key"], "c");
  EXPECT_EQ(j["ops"][1]["op"], "delete");
  // The full rendering is unaffected (and the subset is not what json() caches).
  EXPECT_EQ(parse(ev->json(false, max_value))["ops"].size(), 3u);
}

TEST(event, keys_with_quotes_backslashes_and_control_characters_are_escaped) {
  const std::string key("a\"b\\c/d\n\r\t\x01\x1f\x7f", 13);
  event ev;
  ev.kind = event_kind::put;
  ev.rev = 3;
  event_op op;
  op.key = key;
  op.val = store::make_value("v");
  ev.ops.push_back(std::move(op));
  const auto& text = ev.json(false, max_value);
  for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20u) << "raw control character in " << text;
  const auto j = parse(text);
  EXPECT_EQ(j["key"], key);

  event batch;
  batch.kind = event_kind::batch;
  batch.rev = 4;
  event_op bop;
  bop.what = op_kind::erase;
  bop.key = key;
  batch.ops.push_back(std::move(bop));
  EXPECT_EQ(parse(batch.json(false, max_value))["ops"][0]["key"], key);
}

TEST(event, a_get_read_event_has_key_time_client_and_found_but_no_revision) {
  event ev;
  ev.kind = event_kind::get;
  ev.ts_ms = 1'763'740'000'123;
  ev.subject = "the \"key\"";
  ev.client = "127.0.0.1:43210";
  ev.found = true;
  const auto j = parse(ev.json(false, max_value));
  EXPECT_EQ(j, (json{{"op", "get"}, {"key", "the \"key\""}, {"ts", 1'763'740'000'123}, {"client", "127.0.0.1:43210"},
                     {"found", true}}));
}

TEST(event, a_list_read_event_has_prefix_time_client_and_count) {
  event ev;
  ev.kind = event_kind::list;
  ev.ts_ms = 5;
  ev.subject = "p/";
  ev.client = "[::1]:9";
  ev.count = 3;
  const auto j = parse(ev.json(false, max_value));
  EXPECT_EQ(j, (json{{"op", "list"}, {"prefix", "p/"}, {"ts", 5}, {"client", "[::1]:9"}, {"count", 3}}));
}

TEST(event, json_renders_once_and_returns_the_same_string_every_time) {
  event ev;
  ev.kind = event_kind::put;
  ev.rev = 1;
  event_op op;
  op.key = "k";
  op.val = store::make_value("v");
  ev.ops.push_back(std::move(op));
  const std::string& first = ev.json(false, max_value);
  const std::string& second = ev.json(false, max_value);
  EXPECT_EQ(&first, &second);
  const std::string& with_prev = ev.json(true, max_value);
  EXPECT_NE(&with_prev, &first);
  EXPECT_EQ(&with_prev, &ev.json(true, max_value));
}

TEST(event, concurrent_first_renderings_agree_on_one_string) {
  event ev;
  ev.kind = event_kind::put;
  ev.rev = 1;
  event_op op;
  op.key = "k";
  op.val = store::make_value(std::string(500, 'v'));
  ev.ops.push_back(std::move(op));
  std::vector<const std::string*> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = &ev.json(false, max_value); });
  for (auto& t : threads) t.join();
  for (const auto* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(parse(*seen[0])["size"], 500);
}

TEST(event, kinds_have_their_wire_names) {
  EXPECT_EQ(event_kind_name(event_kind::put), "put");
  EXPECT_EQ(event_kind_name(event_kind::erase), "delete");
  EXPECT_EQ(event_kind_name(event_kind::expire), "expire");
  EXPECT_EQ(event_kind_name(event_kind::cas), "cas");
  EXPECT_EQ(event_kind_name(event_kind::batch), "batch");
  EXPECT_EQ(event_kind_name(event_kind::get), "get");
  EXPECT_EQ(event_kind_name(event_kind::list), "list");
  EXPECT_TRUE(is_read(event_kind::get));
  EXPECT_TRUE(is_read(event_kind::list));
  EXPECT_FALSE(is_read(event_kind::put));
}

TEST(event, footprint_grows_with_the_bytes_it_holds) {
  const auto make = [](std::size_t value_bytes, std::size_t prev_bytes) {
    event ev;
    event_op op;
    op.key = "k";
    op.val = store::make_value(std::string(value_bytes, 'v'));
    if (prev_bytes) op.prev = store::make_value(std::string(prev_bytes, 'p'));
    ev.ops.push_back(std::move(op));
    return ev.footprint();
  };
  EXPECT_EQ(make(1000, 0) - make(0, 0), 1000u);
  EXPECT_EQ(make(0, 700) - make(0, 0), 700u);
}

}  // namespace
}  // namespace livekv::hub
