// The live feed over WebSocket, GET /wal: one JSON event per text frame for every commit (put, cas,
// delete, expire, batch) with the members the contract lists; read events (get, list) on request;
// filters by prefix, key and op; a progress bookmark on subscribing; since= replays history and
// continues live with no gap and no duplicate, or refuses with 410 when history no longer reaches;
// ping/pong and error events; 426/400 for requests that are not a valid subscription; and a
// subscriber that stops reading is cut off (overflow, close 1013) without slowing writers or the
// other subscribers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/feed_events.hpp"
#include "support/kv_state.hpp"
#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using nlohmann::json;

// Clock slack for "ts" and "expires_at": the server and the test read the same wall clock, so this
// only absorbs a server that stamps with a coarse or cached clock.
constexpr std::int64_t clock_slack_ms = 1000;

// One WebSocket subscriber and the ordering checks on what it receives.
struct subscription {
  std::unique_ptr<ws_client> ws;
  feed_order order;
  // Off only where a test checks a deviation from the event shapes on its own.
  bool check_shape = true;

  // The next event of any kind, checked for shape and order. A discarded value (and a recorded
  // failure) when none arrives in time or the connection ended.
  json next(std::chrono::milliseconds timeout = default_io_timeout) {
    auto e = ws->read_event(timeout);
    if (!e) {
      ADD_FAILURE() << "expected an event: " << ws->error();
      return json(json::value_t::discarded);
    }
    if (check_shape) {
      EXPECT_TRUE(is_well_formed_event(*e));
    }
    EXPECT_TRUE(order.add(*e));
    return *e;
  }
  // The next event that is not a progress bookmark (those also come every --feed-progress-ms).
  json next_change(std::chrono::milliseconds timeout = default_io_timeout) {
    for (;;) {
      json e = next(timeout);
      if (!e.is_object() || e.value("op", "") != "progress") return e;
    }
  }
};

// The members of `e` other than "ts", for exact comparisons (ts is checked on its own).
json without_ts(json e) {
  if (e.is_object()) e.erase("ts");
  return e;
}

class feed_ws_test : public server_test {
 protected:
  explicit feed_ws_test(std::vector<std::string> args = {}) : server_test(std::move(args)) {}

  // Opens /wal with `query` ("" or "?..."); a failure unless the upgrade is accepted.
  subscription subscribe(const std::string& query, ws_options options = {}) {
    subscription s{std::make_unique<ws_client>(server_.port(), std::move(options)), {}};
    const auto res = s.ws->connect("/wal" + query);
    EXPECT_EQ(res.status, 101) << "upgrading /wal" << query << ":\n" << res;
    return s;
  }

  // Subscribes while nothing writes, and checks the first event: progress at the current revision.
  subscription subscribe_live(const std::string& query) {
    const std::uint64_t rev = current_revision();
    subscription s = subscribe(query);
    if (s.ws->is_open()) {
      EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", rev}})) << "/wal" << query;
    }
    return s;
  }

  // Asks for the upgrade and returns the answer (for refusals).
  http_response upgrade(const std::string& target) {
    ws_client ws(server_.port());
    return ws.connect(target);
  }

  std::uint64_t put(const std::string& key, const std::string& value, const std::string& query = "") {
    return put_key(client(), key, value, query);
  }
};

// ---- events and their members -------------------------------------------------------------------

TEST_F(feed_ws_test, subscribing_first_sends_a_progress_event_at_the_current_revision) {
  for (const char* k : {"a", "b", "c"}) put(k, "v");
  auto s = subscribe("");
  ASSERT_TRUE(s.ws->is_open());
  EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", 3}}));
}

TEST_F(feed_ws_test, subscribing_to_an_empty_store_sends_progress_at_revision_zero) {
  auto s = subscribe("");
  ASSERT_TRUE(s.ws->is_open());
  EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", 0}}));
}

TEST_F(feed_ws_test, a_put_event_carries_key_value_size_version_revision_and_commit_time) {
  auto s = subscribe_live("");
  const std::int64_t before = unix_ms_now();
  const std::uint64_t r1 = put("greeting", "hello");
  const std::int64_t after = unix_ms_now();
  const json e = s.next_change();
  EXPECT_EQ(without_ts(e),
            json({{"op", "put"}, {"key", "greeting"}, {"rev", r1}, {"value", "hello"}, {"size", 5}, {"version", 1}}));
  ASSERT_TRUE(e.contains("ts") && e["ts"].is_number_integer()) << e.dump();
  EXPECT_GE(e["ts"].get<std::int64_t>(), before - clock_slack_ms) << e.dump();
  EXPECT_LE(e["ts"].get<std::int64_t>(), after + clock_slack_ms) << e.dump();

  const std::uint64_t r2 = put("greeting", "hello again");
  EXPECT_EQ(without_ts(s.next_change()), json({{"op", "put"},
                                                {"key", "greeting"},
                                                {"rev", r2},
                                                {"value", "hello again"},
                                                {"size", 11},
                                                {"version", 2}}))
      << "the second put of a key is its version 2";
}

TEST_F(feed_ws_test, a_put_with_a_ttl_carries_expires_at_in_unix_milliseconds) {
  auto s = subscribe_live("");
  const std::int64_t before = unix_ms_now();
  put("session", "token", "?ttl=100");
  const std::int64_t after = unix_ms_now();
  const json e = s.next_change();
  ASSERT_TRUE(e.contains("expires_at") && e["expires_at"].is_number_integer()) << e.dump();
  const auto at = e["expires_at"].get<std::int64_t>();
  EXPECT_GE(at, before + 100'000 - clock_slack_ms) << e.dump();
  EXPECT_LE(at, after + 100'000 + clock_slack_ms) << e.dump();
  put("session", "token");
  EXPECT_FALSE(s.next_change().contains("expires_at")) << "a put without ttl has no deadline";
}

TEST_F(feed_ws_test, a_binary_value_is_sent_as_value_base64) {
  auto s = subscribe_live("");
  const std::uint64_t rev = put("bin", std::string("\xff\x00\x01\xfe", 4));
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "bin"}, {"rev", rev}, {"value_base64", "/wAB/g=="}, {"size", 4}, {"version", 1}}));
}

TEST_F(feed_ws_test, values_larger_than_the_default_feed_limit_of_1024_bytes_are_truncated_but_keep_their_size) {
  auto s = subscribe_live("");
  const std::uint64_t r1 = put("fits", std::string(1024, 'x'));
  const std::uint64_t r2 = put("big", std::string(1025, 'x'));
  EXPECT_EQ(without_ts(s.next_change()), json({{"op", "put"},
                                               {"key", "fits"},
                                               {"rev", r1},
                                               {"value", std::string(1024, 'x')},
                                               {"size", 1024},
                                               {"version", 1}}));
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "big"}, {"rev", r2}, {"truncated", true}, {"size", 1025}, {"version", 1}}));
}

TEST_F(feed_ws_test, a_delete_event_carries_only_key_revision_and_time) {
  put("doomed", "v");
  auto s = subscribe_live("");
  const std::uint64_t rev = delete_key(client(), "doomed");
  const json e = s.next_change();
  EXPECT_EQ(without_ts(e), json({{"op", "delete"}, {"key", "doomed"}, {"rev", rev}}));
  EXPECT_TRUE(e.contains("ts")) << e.dump();
}

TEST_F(feed_ws_test, an_expired_key_gives_an_expire_event_with_its_previous_value) {
  auto s = subscribe_live("");
  const std::uint64_t written = put("brief", "gone soon", "?ttl=0.2");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), written);
  // The sweeper removes the key within milliseconds of its deadline; the read bound covers a loaded machine.
  const json e = s.next_change();
  EXPECT_EQ(without_ts(e), json({{"op", "expire"},
                                 {"key", "brief"},
                                 {"rev", written + 1},
                                 {"prev", {{"value", "gone soon"}, {"size", 9}, {"mod_rev", written}}}}));
  EXPECT_TRUE(e.contains("ts")) << e.dump();
}

TEST_F(feed_ws_test, a_successful_cas_gives_a_cas_event_and_a_failed_one_gives_none) {
  auto s = subscribe_live("");
  const std::uint64_t r1 = cas_key(client(), "lock", {{"expected", nullptr}, {"new", "me"}});
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "cas"}, {"key", "lock"}, {"rev", r1}, {"value", "me"}, {"size", 2}, {"version", 1}}));
  const auto refused = post_json(client(), "/v1/cas/lock", {{"expected", "you"}, {"new", "them"}});
  ASSERT_EQ(refused.status, 409) << refused;
  const std::uint64_t marker = put("marker", "m");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker) << "the failed CAS must not show up";
}

TEST_F(feed_ws_test, a_batch_gives_one_event_with_its_write_operations_in_order) {
  put("c", "old");
  auto s = subscribe_live("");
  const std::uint64_t rev = batch_write(client(), {{"ops",
                                                    {{{"op", "put"}, {"key", "a"}, {"value", "1"}},
                                                     {{"op", "put"}, {"key", "b"}, {"value", "22"}},
                                                     {{"op", "delete"}, {"key", "c"}},
                                                     {{"op", "get"}, {"key", "a"}}}}});
  const json e = s.next_change();
  EXPECT_EQ(without_ts(e), json({{"op", "batch"},
                                 {"rev", rev},
                                 {"ops",
                                  {{{"op", "put"}, {"key", "a"}, {"value", "1"}, {"size", 1}, {"version", 1}},
                                   {{"op", "put"}, {"key", "b"}, {"value", "22"}, {"size", 2}, {"version", 1}},
                                   {{"op", "delete"}, {"key", "c"}}}}}))
      << "one event for the batch, its get left out";
  const std::uint64_t marker = put("marker", "m");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker) << "one revision, one event";
}

TEST_F(feed_ws_test, a_filtered_batch_event_lists_only_the_matching_operations) {
  put("a/2", "old");
  auto s = subscribe_live("?prefix=a/");
  const std::uint64_t rev = batch_write(client(), {{"ops",
                                                    {{{"op", "put"}, {"key", "a/1"}, {"value", "1"}},
                                                     {{"op", "put"}, {"key", "b/1"}, {"value", "1"}},
                                                     {{"op", "delete"}, {"key", "a/2"}}}}});
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "batch"},
                  {"rev", rev},
                  {"ops",
                   {{{"op", "put"}, {"key", "a/1"}, {"value", "1"}, {"size", 1}, {"version", 1}},
                    {{"op", "delete"}, {"key", "a/2"}}}}}));
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "b/2"}, {"value", "1"}}}}});
  const std::uint64_t marker = put("a/marker", "m");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker) << "a batch with no matching op is not sent";
}

TEST_F(feed_ws_test, include_prev_adds_the_previous_value_to_put_cas_delete_and_batch_operations) {
  auto s = subscribe_live("?include=prev");
  const std::uint64_t r1 = put("k", "v1");
  EXPECT_FALSE(s.next_change().contains("prev")) << "no prev for a key that did not exist";
  const std::uint64_t r2 = put("k", "v22");
  EXPECT_EQ(s.next_change()["prev"], json({{"value", "v1"}, {"size", 2}, {"mod_rev", r1}}));
  const std::uint64_t r3 = cas_key(client(), "k", {{"expected", "v22"}, {"new", "v333"}});
  const json cas = s.next_change();
  EXPECT_EQ(cas.value("op", ""), "cas");
  EXPECT_EQ(cas["prev"], json({{"value", "v22"}, {"size", 3}, {"mod_rev", r2}}));
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "k"}, {"value", "b"}}, {{"op", "put"}, {"key", "new"}, {"value", "n"}}}}});
  const json batch = s.next_change();
  ASSERT_TRUE(batch.contains("ops") && batch["ops"].size() == 2) << batch.dump();
  EXPECT_EQ(batch["ops"][0]["prev"], json({{"value", "v333"}, {"size", 4}, {"mod_rev", r3}}));
  EXPECT_FALSE(batch["ops"][1].contains("prev")) << batch.dump();
  const std::uint64_t r4 = batch["rev"].get<std::uint64_t>();
  delete_key(client(), "k");
  EXPECT_EQ(s.next_change()["prev"], json({{"value", "b"}, {"size", 1}, {"mod_rev", r4}}));
}

TEST_F(feed_ws_test, a_binary_previous_value_is_sent_as_value_base64) {
  const std::uint64_t r1 = put("bin", std::string("\xff\x00", 2));
  auto s = subscribe_live("?include=prev");
  put("bin", "text");
  EXPECT_EQ(s.next_change()["prev"], json({{"value_base64", "/wA="}, {"size", 2}, {"mod_rev", r1}}));
}

TEST_F(feed_ws_test, without_include_prev_no_write_event_carries_prev) {
  auto s = subscribe_live("");
  put("k", "v1");
  put("k", "v2");
  cas_key(client(), "k", {{"expected", "v2"}, {"new", "v3"}});
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "k"}, {"value", "v4"}}}}});
  delete_key(client(), "k");
  for (int i = 0; i < 5; ++i) {
    const json e = s.next_change();
    EXPECT_FALSE(e.contains("prev")) << e.dump();
    if (e.contains("ops")) {
      EXPECT_FALSE(e["ops"][0].contains("prev")) << e.dump();
    }
  }
}

// ---- filters -----------------------------------------------------------------------------------

TEST_F(feed_ws_test, a_prefix_filter_delivers_only_keys_under_the_prefix) {
  auto s = subscribe_live("?prefix=app/");
  put("app/1", "v");
  put("other", "v");
  put("apple", "v");
  put("app/2", "v");
  delete_key(client(), "app/1");
  delete_key(client(), "other");
  put("app/3", "v");
  std::vector<std::pair<std::string, std::string>> got;
  for (int i = 0; i < 4; ++i) {
    const json e = s.next_change();
    got.emplace_back(e.value("op", ""), e.value("key", ""));
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"put", "app/1"}, {"put", "app/2"}, {"delete", "app/1"}, {"put", "app/3"}}));
}

TEST_F(feed_ws_test, a_repeated_key_filter_delivers_exactly_those_keys) {
  auto s = subscribe_live("?key=a&key=b");
  for (const char* k : {"a", "ab", "c", "b", "a"}) put(k, "v");
  put("b", "v2");
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(s.next_change().value("key", ""));
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "a", "b"})) << "neither 'ab' nor 'c'";
}

TEST_F(feed_ws_test, keys_and_prefixes_in_the_query_are_percent_decoded) {
  auto by_key = subscribe_live("?key=a%20b&key=%C3%A9t%C3%A9");
  auto by_prefix = subscribe_live("?prefix=dir%2Fsub%20");
  put("a%20b", "literal percent, not the key");
  put("a b", "1");
  put("\xc3\xa9t\xc3\xa9", "2");
  put("dir/sub x", "3");
  EXPECT_EQ(by_key.next_change().value("key", ""), "a b");
  EXPECT_EQ(by_key.next_change().value("key", ""), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(by_prefix.next_change().value("key", ""), "dir/sub x");
}

TEST_F(feed_ws_test, an_ops_list_delivers_only_the_listed_kinds) {
  put("x", "v");
  auto s = subscribe_live("?ops=delete,cas");
  put("a", "1");
  delete_key(client(), "a");
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "b"}, {"value", "1"}}}}});
  cas_key(client(), "x", {{"expected", "v"}, {"new", "w"}});
  client().get("/v1/kv/x");
  delete_key(client(), "x");
  std::vector<std::string> ops;
  for (int i = 0; i < 3; ++i) ops.push_back(s.next_change().value("op", ""));
  EXPECT_EQ(ops, (std::vector<std::string>{"delete", "cas", "delete"}));
}

TEST_F(feed_ws_test, ops_put_does_not_deliver_cas_or_batch_puts) {
  put("x", "v");
  auto s = subscribe_live("?ops=put");
  cas_key(client(), "x", {{"expected", "v"}, {"new", "w"}});
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "b"}, {"value", "1"}}}}});
  const std::uint64_t marker = put("marker", "m");
  const json e = s.next_change();
  EXPECT_EQ(e.value("op", ""), "put");
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), marker) << e.dump();
}

TEST_F(feed_ws_test, the_default_ops_are_the_writes_only) {
  put("k", "v");
  auto s = subscribe_live("");
  client().get("/v1/kv/k");
  client().get("/v1/kv/missing");
  client().get("/v1/kv?prefix=k");
  const std::uint64_t marker = put("marker", "m");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker) << "reads are not sent without ops=all";
}

TEST_F(feed_ws_test, ops_all_adds_get_and_list_events_with_the_client_address) {
  put("p/1", "v");
  put("p/2", "v");
  auto s = subscribe_live("?ops=all");
  const std::int64_t before = unix_ms_now();
  ASSERT_EQ(client().get("/v1/kv/p/1").status, 200);
  ASSERT_EQ(client().get("/v1/kv/p/none").status, 404);
  ASSERT_EQ(client().get("/v1/kv?prefix=p/").status, 200);
  const std::uint64_t rev = put("p/3", "v");

  const json found = s.next_change();
  EXPECT_EQ(found.value("op", ""), "get") << found.dump();
  EXPECT_EQ(found.value("key", ""), "p/1");
  EXPECT_EQ(found.value("found", false), true);
  EXPECT_FALSE(found.contains("rev")) << "read events have no revision: " << found.dump();
  EXPECT_GE(found.value("ts", std::int64_t{0}), before - clock_slack_ms) << found.dump();

  const json missing = s.next_change();
  EXPECT_EQ(missing.value("op", ""), "get") << missing.dump();
  EXPECT_EQ(missing.value("key", ""), "p/none");
  EXPECT_EQ(missing.value("found", true), false);
  EXPECT_EQ(missing.value("client", "?"), found.value("client", "!")) << "the same connection made both reads";

  const json list = s.next_change();
  EXPECT_EQ(list.value("op", ""), "list") << list.dump();
  EXPECT_EQ(list.value("prefix", ""), "p/");
  EXPECT_EQ(list.value("count", 0), 2);
  EXPECT_EQ(list.value("client", "?"), found.value("client", "!"));

  const json write = s.next_change();
  EXPECT_EQ(write.value("op", ""), "put") << "ops=all still has the writes: " << write.dump();
  EXPECT_EQ(write.value("rev", std::uint64_t{0}), rev);
}

TEST_F(feed_ws_test, ops_get_delivers_get_events_and_nothing_else) {
  put("k", "v");
  auto s = subscribe_live("?ops=get");
  put("k", "v2");
  client().get("/v1/kv?prefix=k");
  client().get("/v1/kv/k");
  const json e = s.next_change();
  EXPECT_EQ(e.value("op", ""), "get") << e.dump();
  EXPECT_EQ(e.value("key", ""), "k");
}

TEST_F(feed_ws_test, read_events_are_never_replayed_by_since) {
  put("k", "v");
  client().get("/v1/kv/k");
  client().get("/v1/kv?prefix=");
  auto s = subscribe("?ops=all&since=0");
  ASSERT_TRUE(s.ws->is_open());
  const json e = s.next_change();
  EXPECT_EQ(e.value("op", ""), "put") << e.dump();
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), 1u);
  const std::uint64_t marker = put("marker", "m");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker) << "no read event from before subscribing";
}

// ---- order, replay, history ----------------------------------------------------------------------

TEST_F(feed_ws_test, events_arrive_in_revision_order_with_the_revisions_the_writes_returned) {
  auto s = subscribe_live("");
  std::vector<std::pair<std::uint64_t, std::string>> written;
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i % 7);
    written.emplace_back(put(key, std::to_string(i)), key);
    if (i % 5 == 4) written.emplace_back(delete_key(client(), key), key);
  }
  const std::uint64_t last = current_revision();
  ASSERT_EQ(last, written.size());
  std::map<std::uint64_t, std::string> got;
  while (s.order.last_rev() < last) {
    const json e = s.next_change();
    if (!e.is_object()) break;
    got[e["rev"].get<std::uint64_t>()] = e.value("key", "");
  }
  for (const auto& [rev, key] : written) EXPECT_EQ(got[rev], key) << "rev " << rev;
  EXPECT_EQ(got.size(), last) << "one event per revision";
}

TEST_F(feed_ws_test, since_replays_then_continues_live_with_no_gap_and_no_duplicate_under_concurrent_writers) {
  constexpr int initial = 100;
  constexpr int writers = 4;
  constexpr std::uint64_t since = 40;
  // Live events to receive while the writers still run, so the switch from replay to live happens
  // under concurrent commits.
  constexpr std::uint64_t live_while_writing = 400;
  std::map<std::uint64_t, std::pair<std::string, std::string>> expected;
  for (int i = 0; i < initial; ++i) {
    const std::string key = "pre/" + std::to_string(i);
    expected[put(key, "v" + std::to_string(i))] = {key, "v" + std::to_string(i)};
  }
  std::vector<std::map<std::uint64_t, std::pair<std::string, std::string>>> written(writers);
  std::atomic<bool> stop{false};
  std::latch started(writers + 1);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto c = new_client();
      started.arrive_and_wait();
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = "w" + std::to_string(w) + "/" + std::to_string(i % 10);
        const std::string value = std::to_string(w) + ":" + std::to_string(i);
        const std::uint64_t rev = put_key(*c, key, value);
        if (rev == 0) return;
        written[w][rev] = {key, value};
      }
    });
  }
  started.arrive_and_wait();
  // The writers are running: the subscription starts somewhere in the middle of their writes.
  auto s = subscribe("?since=" + std::to_string(since));
  const std::uint64_t at_subscribe = current_revision();

  std::vector<json> events;
  auto read_until = [&](std::uint64_t rev) {
    while (s.ws->is_open() && s.order.last_rev() < rev) {
      json e = s.next_change(std::chrono::seconds(30));
      if (!e.is_object()) return;
      events.push_back(std::move(e));
    }
  };
  read_until(at_subscribe + live_while_writing);
  stop = true;
  for (auto& t : threads) t.join();
  const std::uint64_t last = current_revision();
  for (const auto& m : written) expected.insert(m.begin(), m.end());
  ASSERT_EQ(expected.size(), last) << "every write has its own revision";
  read_until(last);

  ASSERT_FALSE(events.empty());
  std::vector<std::uint64_t> revs;
  for (const json& e : events) {
    const auto rev = e.value("rev", std::uint64_t{0});
    revs.push_back(rev);
    const auto it = expected.find(rev);
    ASSERT_NE(it, expected.end()) << e.dump();
    EXPECT_EQ(e.value("key", ""), it->second.first) << e.dump();
    EXPECT_EQ(e.value("value", ""), it->second.second) << e.dump();
  }
  EXPECT_EQ(revs.front(), since + 1) << "the replay starts right after since";
  EXPECT_EQ(revs.back(), last);
  EXPECT_EQ(revs.size(), last - since) << "contiguous: no gap and no duplicate between replay and live";
  EXPECT_TRUE(std::is_sorted(revs.begin(), revs.end()));
}

TEST_F(feed_ws_test, since_zero_replays_every_write_from_the_first) {
  put("a", "1");
  delete_key(client(), "a");
  batch_write(client(), {{"ops", {{{"op", "put"}, {"key", "b"}, {"value", "2"}}}}});
  auto s = subscribe("?since=0");
  std::vector<std::string> ops;
  for (int i = 0; i < 3; ++i) ops.push_back(s.next_change().value("op", ""));
  EXPECT_EQ(ops, (std::vector<std::string>{"put", "delete", "batch"}));
  EXPECT_EQ(s.order.last_rev(), 3u);
}

TEST_F(feed_ws_test, a_replay_with_filters_sends_only_the_matching_history) {
  put("a/1", "v");
  put("b/1", "v");
  put("a/2", "v");
  delete_key(client(), "a/1");
  auto s = subscribe("?since=0&prefix=a/&ops=put");
  EXPECT_EQ(s.next_change().value("key", ""), "a/1");
  EXPECT_EQ(s.next_change().value("key", ""), "a/2");
  const std::uint64_t marker = put("a/3", "v");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), marker);
}

TEST_F(feed_ws_test, since_at_the_current_revision_replays_nothing_and_goes_live) {
  for (const char* k : {"a", "b", "c"}) put(k, "v");
  auto s = subscribe("?since=3");
  ASSERT_TRUE(s.ws->is_open());
  const std::uint64_t rev = put("d", "v");
  const json e = s.next_change();
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), rev) << e.dump();
  EXPECT_EQ(e.value("key", ""), "d");
}

TEST_F(feed_ws_test, since_above_the_current_revision_is_400) {
  put("a", "v");
  // The contract names no code for this one: a 400 problem is what it promises.
  for (const char* target : {"/wal?since=2", "/wal?since=18446744073709551615"}) {
    const auto res = upgrade(target);
    EXPECT_EQ(res.status, 400) << target << ":\n" << res;
    EXPECT_EQ(res.header("Content-Type"), "application/problem+json") << res;
  }
}

// ---- refused subscriptions -------------------------------------------------------------------------

TEST_F(feed_ws_test, the_upgrade_answer_carries_kv_revision) {
  put("a", "v");
  put("b", "v");
  ws_client ws(server_.port());
  const auto res = ws.connect("/wal");
  ASSERT_EQ(res.status, 101) << res;
  EXPECT_EQ(res.header("KV-Revision"), "2") << "every HTTP response carries KV-Revision: " << res;
}

TEST_F(feed_ws_test, a_plain_get_without_the_upgrade_headers_is_426_upgrade_required) {
  put("a", "v");
  const auto res = client().get("/wal");
  EXPECT_TRUE(is_problem(res, 426, "upgrade_required"));
  EXPECT_EQ(res.header("KV-Revision"), "1") << "every response carries KV-Revision: " << res;
  EXPECT_TRUE(is_problem(client().get("/wal?prefix=a"), 426, "upgrade_required"));
}

TEST_F(feed_ws_test, a_bad_query_is_400_bad_query) {
  for (const char* query : {"ops=bogus", "ops=put,bogus", "since=abc", "since=-1", "since=", "since=1.5",
                            "since=1x", "frobnicate=1", "prefix=%zz", "key=%4"}) {
    EXPECT_TRUE(is_problem(upgrade(std::string("/wal?") + query), 400, "bad_query")) << query;
  }
}

// ---- client messages -------------------------------------------------------------------------------

TEST_F(feed_ws_test, a_ping_message_is_answered_with_pong_at_the_current_revision) {
  put("a", "v");
  put("b", "v");
  auto s = subscribe_live("");
  ASSERT_TRUE(s.ws->send_text(R"({"op":"ping"})")) << s.ws->error();
  EXPECT_EQ(s.next_change(), json({{"op", "pong"}, {"rev", 2}}));
  put("c", "v");
  EXPECT_EQ(s.next_change().value("key", ""), "c");
  ASSERT_TRUE(s.ws->send_text(R"({"op":"ping"})")) << s.ws->error();
  EXPECT_EQ(s.next_change(), json({{"op", "pong"}, {"rev", 3}}));
}

TEST_F(feed_ws_test, a_message_the_server_does_not_understand_gets_an_error_event_and_the_connection_stays_open) {
  auto s = subscribe_live("");
  for (const char* message : {"hello", R"({"op":"dance"})", "[1,2]", R"({"no":"op"})"}) {
    ASSERT_TRUE(s.ws->send_text(message)) << s.ws->error();
    const json e = s.next_change();
    EXPECT_EQ(e.value("op", ""), "error") << message << " -> " << e.dump();
    EXPECT_FALSE(e.value("detail", "").empty()) << e.dump();
  }
  ASSERT_TRUE(s.ws->send_text(R"({"op":"ping"})")) << s.ws->error();
  EXPECT_EQ(s.next_change().value("op", ""), "pong");
  const std::uint64_t rev = put("still", "here");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), rev);
}

TEST_F(feed_ws_test, a_subscriber_that_goes_away_leaves_writers_and_other_subscribers_unaffected) {
  auto gone = subscribe_live("");
  auto stays = subscribe_live("");
  gone.ws->close();
  const std::uint64_t rev = put("a", "v");
  EXPECT_EQ(stays.next_change().value("rev", std::uint64_t{0}), rev);
  auto later = subscribe_live("");
  EXPECT_EQ(put("b", "v"), rev + 1);
  EXPECT_EQ(later.next_change().value("rev", std::uint64_t{0}), rev + 1);
}

// ---- fan-out -----------------------------------------------------------------------------------------

TEST_F(feed_ws_test, two_hundred_subscribers_each_receive_every_event_in_order) {
  constexpr int subscribers = 200;
  constexpr int writes = 20;
  put("seed", "v");
  std::vector<subscription> subs;
  subs.reserve(subscribers);
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(subscribe(""));
    ASSERT_TRUE(subs.back().ws->is_open()) << "subscriber " << i;
    // Its first event: the subscription is live before the writes start.
    ASSERT_EQ(subs.back().next(), json({{"op", "progress"}, {"rev", 1}})) << "subscriber " << i;
  }
  std::vector<std::uint64_t> revs;
  for (int i = 0; i < writes; ++i) revs.push_back(put("k" + std::to_string(i), std::to_string(i)));
  for (int i = 0; i < subscribers; ++i) {
    for (int w = 0; w < writes; ++w) {
      const json e = subs[i].next_change();
      ASSERT_EQ(e.value("rev", std::uint64_t{0}), revs[w]) << "subscriber " << i << ": " << e.dump();
      ASSERT_EQ(e.value("value", ""), std::to_string(w)) << "subscriber " << i;
    }
  }
}

// ---- history limits ----------------------------------------------------------------------------------

constexpr int history_events = 16;

class feed_history_test : public feed_ws_test {
 protected:
  feed_history_test() : feed_ws_test({"--feed-history", std::to_string(history_events), "--in-memory"}) {}
};

TEST_F(feed_history_test, since_older_than_the_history_is_410_compacted_with_the_compact_revision) {
  constexpr std::uint64_t writes = 100;
  for (std::uint64_t i = 0; i < writes; ++i) put("k" + std::to_string(i), "v");
  const auto refused = upgrade("/wal?since=1");
  EXPECT_TRUE(is_problem(refused, 410, "history_compacted"));
  ASSERT_EQ(refused.status, 410) << refused;
  EXPECT_EQ(refused.header("KV-Revision"), std::to_string(writes)) << refused;
  const json problem = refused.json();
  ASSERT_TRUE(problem.contains("compact_revision") && problem["compact_revision"].is_number_unsigned()) << refused;
  const auto compact = problem["compact_revision"].get<std::uint64_t>();
  EXPECT_GE(compact, 1u) << "revision 2 must be gone for since=1 to be refused";
  EXPECT_LE(compact, writes - history_events) << "at least --feed-history events are kept";

  // compact_revision is the newest revision that cannot be replayed: since=C works, since=C-1 does not.
  if (compact >= 1) {
    const auto older = upgrade("/wal?since=" + std::to_string(compact - 1));
    EXPECT_EQ(older.status, 410) << "since=compact_revision-1 needs revision compact_revision:\n" << older;
  }
  auto s = subscribe("?since=" + std::to_string(compact));
  ASSERT_TRUE(s.ws->is_open());
  std::uint64_t expected = compact + 1;
  while (expected <= writes) {
    const json e = s.next_change();
    if (!e.is_object()) break;
    ASSERT_EQ(e.value("rev", std::uint64_t{0}), expected) << e.dump();
    ++expected;
  }
  const std::uint64_t live = put("after", "v");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), live);
}

TEST_F(feed_history_test, the_last_history_events_can_always_be_replayed) {
  constexpr std::uint64_t writes = 100;
  for (std::uint64_t i = 0; i < writes; ++i) put("k" + std::to_string(i), "v");
  auto s = subscribe("?since=" + std::to_string(writes - history_events));
  ASSERT_TRUE(s.ws->is_open());
  for (std::uint64_t rev = writes - history_events + 1; rev <= writes; ++rev)
    ASSERT_EQ(s.next_change().value("rev", std::uint64_t{0}), rev);
}

// A history of 16 events in memory, but the log on disk holds every revision.
class feed_disk_replay_test : public feed_ws_test {
 protected:
  feed_disk_replay_test() : feed_ws_test({"--feed-history", std::to_string(history_events)}) {}
};

TEST_F(feed_disk_replay_test, a_resume_older_than_the_memory_history_is_replayed_from_the_log_on_disk) {
  constexpr std::uint64_t writes = 100;
  for (std::uint64_t i = 0; i < writes; ++i) put("k" + std::to_string(i % 10), "v" + std::to_string(i));
  auto s = subscribe("?since=1");
  ASSERT_TRUE(s.ws->is_open());
  s.check_shape = false;  // version: see the next test
  for (std::uint64_t rev = 2; rev <= writes; ++rev) {
    json e = without_ts(s.next_change());
    const std::uint64_t i = rev - 1;
    e.erase("version");  // checked by the test below
    ASSERT_EQ(e, json({{"op", "put"},
                       {"key", "k" + std::to_string(i % 10)},
                       {"rev", rev},
                       {"value", "v" + std::to_string(i)},
                       {"size", ("v" + std::to_string(i)).size()}}));
  }
  const std::uint64_t live = put("after", "v");
  EXPECT_EQ(s.next_change().value("rev", std::uint64_t{0}), live) << "then live, with no gap";
}

// docs/feed.md: the log records what was written, not what was overwritten, so events replayed
// from disk carry neither prev nor version; the ones still in memory carry both.
TEST_F(feed_disk_replay_test, events_replayed_from_the_log_on_disk_omit_prev_and_version_as_documented) {
  constexpr std::uint64_t writes = 60;
  for (std::uint64_t i = 0; i < writes; ++i) put("k" + std::to_string(i % 10), "v" + std::to_string(i));
  auto s = subscribe("?since=10&include=prev");
  ASSERT_TRUE(s.ws->is_open());
  s.check_shape = false;
  std::size_t from_disk = 0, from_memory = 0;
  for (std::uint64_t rev = 11; rev <= writes; ++rev) {
    const json e = s.next_change();
    ASSERT_EQ(e.value("rev", std::uint64_t{0}), rev) << e.dump();
    const std::uint64_t i = rev - 1;
    ASSERT_EQ(e.value("value", ""), "v" + std::to_string(i)) << e.dump();
    if (!e.contains("version")) {
      EXPECT_FALSE(e.contains("prev")) << e.dump();
      EXPECT_EQ(from_memory, 0u) << "a disk event after memory events: " << e.dump();
      ++from_disk;
      continue;
    }
    ++from_memory;
    EXPECT_EQ(e["version"], i / 10 + 1) << e.dump();
    const json prev = {{"value", "v" + std::to_string(i - 10)}, {"size", ("v" + std::to_string(i - 10)).size()}, {"mod_rev", rev - 10}};
    EXPECT_EQ(e.value("prev", json()), prev) << e.dump();
  }
  EXPECT_GT(from_disk, 0u);
  EXPECT_EQ(from_memory, static_cast<std::size_t>(history_events));
}

// ---- value limit -------------------------------------------------------------------------------------

class feed_value_limit_test : public feed_ws_test {
 protected:
  feed_value_limit_test() : feed_ws_test({"--feed-max-value-bytes", "8"}) {}
};

TEST_F(feed_value_limit_test, values_larger_than_feed_max_value_bytes_are_truncated_and_keep_their_size) {
  auto s = subscribe_live("");
  const std::uint64_t r1 = put("fits", "12345678");
  const std::uint64_t r2 = put("text", "123456789");
  const std::uint64_t r3 = put("bin", std::string(9, '\xff'));
  const std::uint64_t r4 = cas_key(client(), "c", {{"expected", nullptr}, {"new", "123456789"}});
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "fits"}, {"rev", r1}, {"value", "12345678"}, {"size", 8}, {"version", 1}}));
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "text"}, {"rev", r2}, {"truncated", true}, {"size", 9}, {"version", 1}}));
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "put"}, {"key", "bin"}, {"rev", r3}, {"truncated", true}, {"size", 9}, {"version", 1}}))
      << "a binary value over the limit has no value_base64 either";
  EXPECT_EQ(without_ts(s.next_change()),
            json({{"op", "cas"}, {"key", "c"}, {"rev", r4}, {"truncated", true}, {"size", 9}, {"version", 1}}));
}

// ---- progress bookmarks -------------------------------------------------------------------------------

class feed_progress_test : public feed_ws_test {
 protected:
  feed_progress_test() : feed_ws_test({"--feed-progress", "1s"}) {}
};

TEST_F(feed_progress_test, an_idle_subscription_gets_periodic_progress_at_the_current_revision) {
  put("a", "v");
  auto s = subscribe("");
  ASSERT_TRUE(s.ws->is_open());
  EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", 1}}));
  const std::uint64_t rev = put("b", "v");
  EXPECT_EQ(s.next().value("rev", std::uint64_t{0}), rev);
  // Nothing else is written: the next message is an idle bookmark at the newest revision.
  EXPECT_EQ(s.next(), json({{"op", "progress"}, {"rev", rev}}));
}

// ---- keep-alive --------------------------------------------------------------------------------------

class feed_keepalive_test : public feed_ws_test {
 protected:
  // Pings come at a fraction of the idle timeout; progress bookmarks stay out of the way.
  feed_keepalive_test() : feed_ws_test({"--idle-timeout", "1s", "--feed-progress", "60s"}) {}

  // /status "connections" from a connection of its own (an idle fixture client would be closed).
  std::uint64_t open_connections() {
    auto c = new_client();
    const auto j = status_json(*c);
    return j.is_object() ? j.value("connections", std::uint64_t{0}) : 0;
  }
};

TEST_F(feed_keepalive_test, an_idle_subscriber_is_pinged_and_stays_subscribed_while_it_answers) {
  constexpr std::size_t pings_wanted = 3;
  auto s = subscribe("");
  ASSERT_TRUE(s.ws->is_open());
  ASSERT_EQ(s.next().value("op", ""), "progress");
  // The read below answers every ping (a pong); after a few, a write shows the feed still flows.
  std::uint64_t written = 0;
  s.ws->on_ping([&] {
    if (s.ws->pings() == pings_wanted) written = put_key(*new_client(), "after-pings", "v");
  });
  const json e = s.next_change(std::chrono::seconds(30));
  EXPECT_GE(s.ws->pings(), pings_wanted);
  EXPECT_EQ(e.value("key", ""), "after-pings") << e.dump();
  EXPECT_EQ(e.value("rev", std::uint64_t{0}), written);
}

TEST_F(feed_keepalive_test, a_subscriber_that_does_not_answer_pings_is_closed) {
  ws_client silent(server_.port());
  ASSERT_EQ(silent.connect("/wal").status, 101);
  // Nothing reads on `silent`, so its pings go unanswered; the count includes the /status request.
  EXPECT_TRUE(poll_until([&] { return open_connections() == 1; }, std::chrono::seconds(30)))
      << "the silent subscriber is still connected";
  // What it was sent before the close can still be read; then the connection ends.
  bool ended = false;
  for (int i = 0; i < 100 && !ended; ++i) ended = !silent.read_event().has_value();
  EXPECT_TRUE(ended);
  EXPECT_TRUE(silent.closed_by_server()) << silent.error();
}

// ---- close codes -------------------------------------------------------------------------------------

// A feed WebSocket over a raw socket, for frames a well-behaved client library refuses to send.
class raw_ws {
 public:
  explicit raw_ws(std::uint16_t port) : sock_(port) {}

  testing::AssertionResult upgrade() {
    if (!sock_.connected()) return testing::AssertionFailure() << sock_.error();
    if (!sock_.send("GET /wal HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
      return testing::AssertionFailure() << sock_.error();
    const auto head = sock_.read_until("\r\n\r\n");
    if (!head || !head->starts_with("HTTP/1.1 101 "))
      return testing::AssertionFailure() << "no 101: " << head.value_or(sock_.error());
    return testing::AssertionSuccess();
  }

  // A close frame with `code` as its payload, masked as a client must (RFC 6455 §5.3).
  bool send_close(std::uint16_t code) {
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::string frame = {'\x88', static_cast<char>(0x80 | 2)};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    frame += static_cast<char>((code >> 8) ^ mask[0]);
    frame += static_cast<char>((code & 0xff) ^ mask[1]);
    return sock_.send(frame);
  }

  // The status code of the server's close frame, after skipping the frames before it (the
  // feed's progress bookmark); 0 for a close without a code, nullopt when no close frame came.
  std::optional<std::uint16_t> close_code_received() {
    for (;;) {
      const auto header = sock_.read_exactly(2);
      if (!header) return std::nullopt;
      const int opcode = (*header)[0] & 0x0f;
      std::size_t length = static_cast<unsigned char>((*header)[1]) & 0x7f;  // a server does not mask
      if (length >= 126) {
        const auto extended = sock_.read_exactly(length == 126 ? 2 : 8);
        if (!extended) return std::nullopt;
        length = 0;
        for (const char c : *extended) length = length << 8 | static_cast<unsigned char>(c);
      }
      const auto payload = sock_.read_exactly(length);
      if (!payload) return std::nullopt;
      if (opcode != 0x8) continue;
      if (payload->size() < 2) return std::uint16_t{0};
      return static_cast<std::uint16_t>(static_cast<unsigned char>((*payload)[0]) << 8 |
                                        static_cast<unsigned char>((*payload)[1]));
    }
  }

  bool closed_by_server() { return sock_.read_until_close().closed; }

 private:
  raw_socket sock_;
};

// RFC 6455 §7.4: codes below 1000, the reserved 1004-1006 and 1015, the unassigned 1014 and
// 1016-2999, and anything from 5000 up are not valid in a close frame: the endpoint fails the
// connection with 1002 (protocol error) instead of echoing the code.
TEST_F(feed_ws_test, a_close_frame_with_a_code_invalid_on_the_wire_is_answered_with_1002) {
  for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999, 5000, 65535}) {
    raw_ws ws(server_.port());
    ASSERT_TRUE(ws.upgrade());
    ASSERT_TRUE(ws.send_close(code));
    EXPECT_EQ(ws.close_code_received(), std::optional<std::uint16_t>(1002)) << "client close code " << code;
    EXPECT_TRUE(ws.closed_by_server()) << "client close code " << code;
  }
}

// The control for the test above: a valid code comes back as the server's answer (§5.5.1).
TEST_F(feed_ws_test, a_close_frame_with_a_valid_code_is_echoed) {
  for (const std::uint16_t code : {1000, 1001, 1003, 3000, 4000, 4999}) {
    raw_ws ws(server_.port());
    ASSERT_TRUE(ws.upgrade());
    ASSERT_TRUE(ws.send_close(code));
    EXPECT_EQ(ws.close_code_received(), std::optional<std::uint16_t>(code)) << "client close code " << code;
    EXPECT_TRUE(ws.closed_by_server()) << "client close code " << code;
  }
}

// ---- slow consumers ------------------------------------------------------------------------------------

// Small enough that a client that never reads overflows after a few MiB; large enough that a
// subscriber which does read, on a machine loaded with other builds, never falls this far behind.
constexpr int queue_messages = 4000;

class feed_slow_consumer_test : public feed_ws_test {
 protected:
  feed_slow_consumer_test() : feed_ws_test({"--feed-queue-messages", std::to_string(queue_messages)}) {}

  // Enough 1 KiB events to overfill everything between the server's queue and a client that never
  // reads: the largest send buffer the kernel may give the server's socket (autotuned up to
  // tcp_wmem's maximum, or SO_SNDBUF up to twice wmem_max), twice over, plus the queue.
  static std::uint64_t writes_to_overflow() {
    std::uint64_t most = 4 * 1024 * 1024;
    {
      std::ifstream tcp_wmem("/proc/sys/net/ipv4/tcp_wmem");
      std::uint64_t min = 0, def = 0, max = 0;
      if (tcp_wmem >> min >> def >> max) most = std::max(most, max);
    }
    {
      std::ifstream wmem_max("/proc/sys/net/core/wmem_max");
      std::uint64_t max = 0;
      if (wmem_max >> max) most = std::max(most, 2 * max);
    }
    return 2 * most / 1024 + queue_messages + 1000;
  }
};

TEST_F(feed_slow_consumer_test, a_subscriber_that_never_reads_is_cut_off_with_overflow_without_slowing_writers_or_others) {
  const std::uint64_t writes = writes_to_overflow();
  ws_options small_window;
  small_window.receive_buffer_bytes = 4096;
  ws_client slow(server_.port(), small_window);
  ASSERT_EQ(slow.connect("/wal").status, 101);

  // A healthy subscriber reads along on its own thread and must get every event.
  auto healthy = subscribe_live("");
  std::uint64_t healthy_got = 0;
  std::thread reader([&] {
    for (std::uint64_t expected = 1; expected <= writes; ++expected) {
      const json e = healthy.next_change(std::chrono::seconds(30));
      if (e.value("rev", std::uint64_t{0}) != expected) {
        ADD_FAILURE() << "the healthy subscriber expected rev " << expected << ", got " << e.dump();
        return;
      }
      healthy_got = expected;
    }
  });

  const std::string value(1024, 'v');
  std::uint64_t accepted = 0;
  for (std::uint64_t i = 0; i < writes; ++i) {
    if (put("big/" + std::to_string(i), value) == i + 1) ++accepted;
    else break;
  }
  reader.join();
  EXPECT_EQ(accepted, writes) << "every write succeeds although a subscriber does not read";
  EXPECT_EQ(healthy_got, writes) << "the reading subscriber got every event";

  // Now read what the slow subscriber was sent: the start of the stream, in order, then the overflow
  // and the close (or, at least, the end of the connection) — never the whole stream.
  feed_order order;
  std::optional<json> first = slow.read_event();
  ASSERT_TRUE(first.has_value()) << slow.error();
  EXPECT_EQ(*first, json({{"op", "progress"}, {"rev", 0}}));
  std::uint64_t delivered = 0;
  std::optional<json> overflow;
  for (std::uint64_t n = 0; n <= writes + 10; ++n) {
    auto e = slow.read_event();
    if (!e) break;
    ASSERT_TRUE(is_well_formed_event(*e));
    const std::string op = e->value("op", "");
    if (op == "progress") continue;
    if (op == "overflow") {
      overflow = *e;
      break;
    }
    ASSERT_EQ(e->value("rev", std::uint64_t{0}), delivered + 1) << "events before the overflow are contiguous";
    ++delivered;
  }
  EXPECT_LT(delivered, writes) << "the slow subscriber was never cut off";
  if (overflow) {
    EXPECT_EQ((*overflow)["last_rev"], delivered) << "resuming with since=last_rev must neither skip nor repeat";
    EXPECT_FALSE(slow.read_event().has_value()) << "the server closes right after the overflow event";
    EXPECT_TRUE(slow.closed_by_server()) << slow.error();
    EXPECT_EQ(slow.close_code(), 1013) << "close code try_again_later; " << slow.error();
    EXPECT_FALSE(slow.close_reason().empty()) << "the close has a reason";
  } else {
    EXPECT_TRUE(slow.closed_by_server()) << "neither an overflow event nor a close: " << slow.error();
    std::cout << "[ note     ] the slow subscriber's connection ended without an overflow event after "
              << delivered << " events (" << slow.error() << ")\n";
  }

  // Resuming where the stream stopped delivers the rest without a gap.
  auto resumed = subscribe("?since=" + std::to_string(delivered));
  ASSERT_TRUE(resumed.ws->is_open());
  for (std::uint64_t rev = delivered + 1; rev <= writes; ++rev)
    ASSERT_EQ(resumed.next_change().value("rev", std::uint64_t{0}), rev);
}

}  // namespace
}  // namespace livekv::test
