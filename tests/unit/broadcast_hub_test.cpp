// The broadcast hub driven by a real kv_store (the hub is its commit observer, started under
// checkpoint as the server does), with fake subscribers that record what the hub's thread tells
// them. Nothing here sleeps: every wait is on a condition variable, bounded so a broken hub fails
// the test instead of hanging it.
#include "livekv/hub/broadcast_hub.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "livekv/store/clock.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/log_reader.hpp"
#include "livekv/wal/log_writer.hpp"
#include "support/temp_dir.hpp"

namespace livekv::hub {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using op_kind = store::operation::kind;
using origin = store::commit_request::kind;
namespace fs = std::filesystem;

// How long a test waits for something the hub must do before calling it a failure.
constexpr auto patience = 5s;
constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

// A subscriber that only records: the number of wake() and tick() calls, the last head a tick
// reported, and the read events it was given.
class recording_subscriber final : public subscriber {
 public:
  void wake() noexcept override {
    std::lock_guard lock(mutex_);
    ++wakes_;
    changed_.notify_all();
  }
  void tick(steady::time_point, std::uint64_t head) noexcept override {
    std::lock_guard lock(mutex_);
    ++ticks_;
    last_head_ = head;
    changed_.notify_all();
  }
  void on_read(const event_ptr& ev) noexcept override {
    std::lock_guard lock(mutex_);
    reads_.push_back(ev);
    changed_.notify_all();
  }

  bool wait_for_wakes(std::size_t n) { return wait([&] { return wakes_ >= n; }); }
  bool wait_for_ticks(std::size_t n) { return wait([&] { return ticks_ >= n; }); }
  bool wait_for_tick_reporting(std::uint64_t head) { return wait([&] { return ticks_ > 0 && last_head_ == head; }); }

  std::size_t wakes() const {
    std::lock_guard lock(mutex_);
    return wakes_;
  }
  std::size_t ticks() const {
    std::lock_guard lock(mutex_);
    return ticks_;
  }
  std::vector<event_ptr> reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }

 private:
  template <typename P>
  bool wait(P done) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, patience, done);
  }

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::size_t wakes_ = 0;
  std::size_t ticks_ = 0;
  std::uint64_t last_head_ = 0;
  std::vector<event_ptr> reads_;
};

// The answers one long-poll waiter got. The callback owns the state, so it may outlive the probe.
class waiter_probe {
 public:
  broadcast_hub::waiter_fn callback() const {
    return [s = state_](bool changed) {
      std::lock_guard lock(s->mutex);
      s->answers.push_back(changed);
      s->answered.notify_all();
    };
  }
  // The first answer, or nullopt when none came within the patience.
  std::optional<bool> wait() const {
    std::unique_lock lock(state_->mutex);
    if (!state_->answered.wait_for(lock, patience, [&] { return !state_->answers.empty(); })) return std::nullopt;
    return state_->answers.front();
  }
  std::size_t answers() const {
    std::lock_guard lock(state_->mutex);
    return state_->answers.size();
  }

 private:
  struct state {
    std::mutex mutex;  // guards answers
    std::condition_variable answered;
    std::vector<bool> answers;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

hub_options quick_ticks(hub_options o = {}) {
  o.tick = 5ms;
  return o;
}

store::operation put_op(std::string key, std::string value, std::int64_t ttl_ms = 0) {
  return {op_kind::put, std::move(key), store::make_value(value), ttl_ms, 0};
}
store::operation erase_op(std::string key) { return {op_kind::erase, std::move(key), nullptr, 0, 0}; }

// A store with the hub attached as the server attaches it.
struct live_store {
  explicit live_store(hub_options opts = quick_ticks(), const wal::log_reader* log = nullptr,
                      store::commit_log* wal = nullptr)
      : hub(opts, log) {
    if (wal) store.attach_log(wal);
    store.add_observer(&hub);
    store.checkpoint([&](std::uint64_t revision) { hub.start(revision); });
  }

  std::uint64_t commit(std::vector<store::operation> ops, origin o = origin::write,
                       std::vector<store::condition> conditions = {}) {
    store::commit_request r;
    r.ops = std::move(ops);
    r.origin = o;
    r.conditions = std::move(conditions);
    auto out = store.commit(r);
    EXPECT_TRUE(out.has_value() && out->applied);
    return out.has_value() ? out->revision : 0;
  }
  std::uint64_t put(std::string key, std::string value, std::int64_t ttl_ms = 0) {
    return commit({put_op(std::move(key), std::move(value), ttl_ms)});
  }
  std::uint64_t erase(std::string key) { return commit({erase_op(std::move(key))}); }

  store::manual_clock clock;
  store::kv_store store{clock};
  broadcast_hub hub;
};

struct fetched {
  status outcome;
  std::vector<event_ptr> events;
  std::vector<std::uint64_t> revs() const {
    std::vector<std::uint64_t> out;
    for (const auto& e : events) out.push_back(e->rev);
    return out;
  }
};

fetched fetch(const broadcast_hub& hub, std::uint64_t after, std::size_t max_events = unlimited,
              std::size_t max_bytes = unlimited) {
  fetched f;
  wal::log_position disk;
  f.outcome = hub.fetch(after, max_events, max_bytes, disk, f.events);
  return f;
}

// Everything after `after`, in batches of `max_events`, the way a feed session reads: one disk
// position kept across calls.
fetched fetch_all(const broadcast_hub& hub, std::uint64_t after, std::size_t max_events) {
  fetched f;
  wal::log_position disk;
  for (int calls = 0; calls < 1000; ++calls) {
    std::vector<event_ptr> batch;
    f.outcome = hub.fetch(f.events.empty() ? after : f.events.back()->rev, max_events, unlimited, disk, batch);
    if (!f.outcome || batch.empty()) break;
    EXPECT_LE(batch.size(), max_events);
    f.events.insert(f.events.end(), batch.begin(), batch.end());
  }
  return f;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto r = from; r <= to; ++r) out.push_back(r);
  return out;
}

steady::time_point far_future() { return steady::now() + 1h; }

// --- fetch and history ---

TEST(broadcast_hub, fetch_after_any_revision_returns_the_following_events_contiguously) {
  live_store s;
  for (int i = 1; i <= 10; ++i) s.put("k" + std::to_string(i), "v");
  for (std::uint64_t after = 0; after <= 10; ++after) {
    const auto f = fetch(s.hub, after);
    ASSERT_TRUE(f.outcome) << f.outcome.message();
    EXPECT_EQ(f.revs(), range(after + 1, 10)) << "after " << after;
    for (const auto& ev : f.events) EXPECT_EQ(ev->ops.at(0).key, "k" + std::to_string(ev->rev));
  }
  EXPECT_EQ(s.hub.head(), 10u);
}

TEST(broadcast_hub, fetch_in_small_batches_neither_skips_nor_repeats) {
  live_store s;
  for (int i = 1; i <= 10; ++i) s.put("k", std::to_string(i));
  for (const std::size_t batch : {1, 3, 4})
    EXPECT_EQ(fetch_all(s.hub, 0, batch).revs(), range(1, 10)) << "batches of " << batch;
  EXPECT_EQ(fetch(s.hub, 2, 3).revs(), range(3, 5));
}

TEST(broadcast_hub, fetch_lets_at_least_one_event_through_whatever_max_bytes) {
  live_store s;
  s.put("a", std::string(10'000, 'x'));
  s.put("b", "y");
  EXPECT_EQ(fetch(s.hub, 0, unlimited, 1).revs(), range(1, 1));
  EXPECT_EQ(fetch(s.hub, 0, unlimited, unlimited).revs(), range(1, 2));
}

TEST(broadcast_hub, events_keep_the_kind_the_client_asked_for) {
  live_store s;
  s.put("a", "1");                                                  // 1 put
  s.commit({put_op("a", "2")}, origin::cas,
           {{store::condition::kind::value_equals, "a", 0, "1", true}});  // 2 cas
  s.commit({put_op("b", "1"), erase_op("a")}, origin::batch);       // 3 batch
  s.erase("b");                                                     // 4 delete
  s.put("t", "short-lived", 1000);                                  // 5 put
  s.clock.advance_ms(1000);
  ASSERT_EQ(s.store.expire_due(10).expired, 1u);                    // 6 expire
  const auto f = fetch(s.hub, 0);
  ASSERT_TRUE(f.outcome);
  ASSERT_EQ(f.revs(), range(1, 6));
  EXPECT_EQ(f.events[0]->kind, event_kind::put);
  EXPECT_EQ(f.events[1]->kind, event_kind::cas);
  EXPECT_EQ(f.events[2]->kind, event_kind::batch);
  EXPECT_EQ(f.events[2]->ops.size(), 2u);
  EXPECT_EQ(f.events[3]->kind, event_kind::erase);
  EXPECT_EQ(f.events[4]->kind, event_kind::put);
  EXPECT_EQ(f.events[5]->kind, event_kind::expire);
}

TEST(broadcast_hub, a_failed_condition_publishes_nothing) {
  live_store s;
  s.put("a", "1");
  store::commit_request r;
  r.origin = origin::cas;
  r.conditions.push_back({store::condition::kind::value_equals, "a", 0, "not this", true});
  r.ops.push_back(put_op("a", "2"));
  auto out = s.store.commit(r);
  ASSERT_TRUE(out);
  ASSERT_FALSE(out->applied);
  EXPECT_EQ(s.hub.head(), 1u);
  EXPECT_EQ(s.hub.stats().events_published, 1u);
}

TEST(broadcast_hub, fetch_past_the_ring_without_a_log_is_history_compacted) {
  hub_options o = quick_ticks();
  o.history_events = 4;
  live_store s(o);
  for (int i = 1; i <= 10; ++i) s.put("k", std::to_string(i));
  EXPECT_EQ(s.hub.compact_revision(), 6u);
  const auto held = fetch(s.hub, 6);
  ASSERT_TRUE(held.outcome) << held.outcome.message();
  EXPECT_EQ(held.revs(), range(7, 10));
  for (std::uint64_t after : {0, 3, 5}) {
    const auto gone = fetch(s.hub, after);
    EXPECT_EQ(gone.outcome.code(), errc::history_compacted) << "after " << after;
    EXPECT_TRUE(gone.events.empty());
  }
}

TEST(broadcast_hub, compact_revision_is_zero_while_the_ring_holds_everything) {
  live_store s;
  EXPECT_EQ(s.hub.compact_revision(), 0u);
  for (int i = 1; i <= 5; ++i) s.put("k", std::to_string(i));
  EXPECT_EQ(s.hub.compact_revision(), 0u);
  EXPECT_TRUE(fetch(s.hub, 0).outcome);
}

TEST(broadcast_hub, a_hub_attached_late_serves_only_what_followed_its_start) {
  store::manual_clock clock;
  store::kv_store store(clock);
  for (int i = 0; i < 3; ++i) {
    store::commit_request r;
    r.ops.push_back(put_op("before", std::to_string(i)));
    ASSERT_TRUE(store.commit(r));
  }
  broadcast_hub hub(quick_ticks(), nullptr);
  store.add_observer(&hub);
  store.checkpoint([&](std::uint64_t revision) { hub.start(revision); });
  EXPECT_EQ(hub.head(), 3u);
  EXPECT_EQ(hub.compact_revision(), 3u);
  EXPECT_TRUE(fetch(hub, 3).events.empty());
  EXPECT_EQ(fetch(hub, 2).outcome.code(), errc::history_compacted);

  store::commit_request r;
  r.ops.push_back(put_op("after", "x"));
  ASSERT_TRUE(store.commit(r));
  EXPECT_EQ(fetch(hub, 3).revs(), range(4, 4));
}

TEST(broadcast_hub, backlog_bytes_is_the_footprint_of_the_events_after_a_position) {
  live_store s;
  for (int i = 1; i <= 4; ++i) s.put("k", std::string(100 * i, 'x'));
  const auto f = fetch(s.hub, 0);
  std::uint64_t expected = 0;
  for (std::uint64_t after = 4; after-- > 0;) {
    expected += f.events[after]->footprint();
    EXPECT_EQ(s.hub.backlog_bytes(after), expected) << "after " << after;
  }
  EXPECT_EQ(s.hub.backlog_bytes(4), 0u);
}

// --- arm and wake ---

TEST(broadcast_hub, arm_refuses_when_events_after_the_position_already_exist) {
  live_store s;
  s.put("a", "1");
  auto sub = std::make_shared<recording_subscriber>();
  EXPECT_FALSE(s.hub.arm(sub, 0));
}

TEST(broadcast_hub, an_armed_subscriber_is_woken_by_the_next_commit) {
  live_store s;
  s.put("a", "1");
  auto sub = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.arm(sub, 1));
  s.put("b", "2");
  ASSERT_TRUE(sub->wait_for_wakes(1)) << "no wake() after a commit";
  EXPECT_EQ(fetch(s.hub, 1).revs(), range(2, 2));
}

TEST(broadcast_hub, every_armed_subscriber_is_woken_once_per_arming) {
  live_store s;
  auto a = std::make_shared<recording_subscriber>();
  auto b = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.arm(a, 0));
  ASSERT_TRUE(s.hub.arm(b, 0));
  s.put("k", "1");
  ASSERT_TRUE(a->wait_for_wakes(1));
  ASSERT_TRUE(b->wait_for_wakes(1));
  // Armed again after fetching: the next commit wakes again.
  ASSERT_TRUE(s.hub.arm(a, 1));
  s.put("k", "2");
  ASSERT_TRUE(a->wait_for_wakes(2));
}

TEST(broadcast_hub, an_armed_subscriber_is_not_woken_while_nothing_is_published) {
  live_store s;
  s.put("a", "1");
  auto sub = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(sub, false));
  ASSERT_TRUE(s.hub.arm(sub, 1));
  // Two full hub loops after arming, proven by ticks; a wake would have come before them.
  const auto ticks = sub->ticks();
  ASSERT_TRUE(sub->wait_for_ticks(ticks + 3));
  EXPECT_EQ(sub->wakes(), 0u) << "woken with no event after its position";
}

TEST(broadcast_hub, arm_that_refuses_leaves_no_wake_behind) {
  live_store s;
  s.put("a", "1");
  auto sub = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(sub, false));
  ASSERT_FALSE(s.hub.arm(sub, 0));
  const auto ticks = sub->ticks();
  ASSERT_TRUE(sub->wait_for_ticks(ticks + 3));
  EXPECT_EQ(sub->wakes(), 0u) << "a refused arm still produced a wake";
}

TEST(broadcast_hub, a_subscriber_following_concurrent_commits_sees_every_event_once_in_order) {
  live_store s;
  constexpr std::uint64_t commits = 2000;
  auto sub = std::make_shared<recording_subscriber>();
  std::thread writer([&] {
    for (std::uint64_t i = 1; i <= commits; ++i) s.put("k" + std::to_string(i % 16), std::to_string(i));
  });
  // A feed session's loop: fetch what there is; when there is nothing, arm and wait for the wake.
  std::vector<std::uint64_t> seen;
  std::uint64_t after = 0;
  wal::log_position disk;
  bool lost_wake = false;
  while (after < commits) {
    std::vector<event_ptr> batch;
    const auto st = s.hub.fetch(after, 64, unlimited, disk, batch);
    EXPECT_TRUE(st) << st.message();
    if (!st) break;
    for (const auto& ev : batch) seen.push_back(after = ev->rev);
    if (!batch.empty()) continue;
    const auto wakes = sub->wakes();
    if (!s.hub.arm(sub, after)) continue;
    if (!sub->wait_for_wakes(wakes + 1)) {
      lost_wake = true;
      break;
    }
  }
  writer.join();
  EXPECT_FALSE(lost_wake) << "armed at " << after << " and never woken";
  EXPECT_EQ(seen, range(1, commits));
}

TEST(broadcast_hub, a_waiter_registered_while_commits_run_still_hears_its_key) {
  live_store s;
  waiter_probe probe;
  std::thread writer([&] {
    for (int i = 1; i <= 500; ++i) s.put("other", std::to_string(i));
    s.put("target", "finally");
  });
  // Whether "target" is written before, during or after the registration, it changed after 0.
  s.hub.wait_for_key("target", 0, far_future(), probe.callback());
  writer.join();
  EXPECT_EQ(probe.wait(), true);
  EXPECT_EQ(probe.answers(), 1u);
}

// --- members, ticks and reads ---

TEST(broadcast_hub, ticks_reach_every_subscriber_with_the_current_head) {
  live_store s;
  auto a = std::make_shared<recording_subscriber>();
  auto b = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(a, false));
  ASSERT_TRUE(s.hub.add(b, true));
  s.put("x", "1");
  s.put("y", "2");
  EXPECT_TRUE(a->wait_for_tick_reporting(2));
  EXPECT_TRUE(b->wait_for_tick_reporting(2));
}

TEST(broadcast_hub, a_subscriber_that_is_gone_is_skipped) {
  live_store s;
  auto gone = std::make_shared<recording_subscriber>();
  auto alive = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(gone, true));
  ASSERT_TRUE(s.hub.add(alive, true));
  ASSERT_TRUE(s.hub.arm(gone, 0));
  gone.reset();
  s.put("k", "v");
  EXPECT_TRUE(alive->wait_for_tick_reporting(1));
  auto read = std::make_shared<event>();
  read->kind = event_kind::get;
  s.hub.publish_read(read);
  EXPECT_EQ(alive->reads().size(), 1u);
}

TEST(broadcast_hub, add_refuses_subscribers_beyond_the_maximum) {
  hub_options o = quick_ticks();
  o.max_subscribers = 2;
  live_store s(o);
  auto a = std::make_shared<recording_subscriber>();
  auto b = std::make_shared<recording_subscriber>();
  auto c = std::make_shared<recording_subscriber>();
  const auto ida = s.hub.add(a, false);
  const auto idb = s.hub.add(b, false);
  ASSERT_TRUE(ida);
  ASSERT_TRUE(idb);
  EXPECT_NE(*ida, *idb);
  const auto refused = s.hub.add(c, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), errc::too_many_subscribers);
  EXPECT_EQ(s.hub.stats().subscribers, 2u);

  s.hub.remove(*ida);
  const auto idc = s.hub.add(c, false);
  ASSERT_TRUE(idc) << "a freed place can be taken";
  EXPECT_NE(*idc, *idb);
}

TEST(broadcast_hub, read_events_reach_only_the_subscribers_that_asked_for_reads) {
  live_store s;
  EXPECT_FALSE(s.hub.wants_reads());
  auto writes_only = std::make_shared<recording_subscriber>();
  auto auditor = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(writes_only, false));
  EXPECT_FALSE(s.hub.wants_reads());
  const auto id = s.hub.add(auditor, true);
  ASSERT_TRUE(id);
  EXPECT_TRUE(s.hub.wants_reads());

  auto read = std::make_shared<event>();
  read->kind = event_kind::get;
  read->subject = "k";
  s.hub.publish_read(read);
  ASSERT_EQ(auditor->reads().size(), 1u);
  EXPECT_EQ(auditor->reads()[0], read);
  EXPECT_TRUE(writes_only->reads().empty());
  // Reads are not history: nothing to fetch, no revision taken.
  EXPECT_EQ(s.hub.head(), 0u);
  EXPECT_TRUE(fetch(s.hub, 0).events.empty());

  s.hub.remove(*id);
  EXPECT_FALSE(s.hub.wants_reads());
  s.hub.publish_read(read);
  EXPECT_EQ(auditor->reads().size(), 1u) << "a removed subscriber got a read";
}

TEST(broadcast_hub, stats_count_what_the_hub_holds_and_did) {
  hub_options o = quick_ticks();
  o.history_events = 3;
  live_store s(o);
  auto a = std::make_shared<recording_subscriber>();
  auto r = std::make_shared<recording_subscriber>();
  ASSERT_TRUE(s.hub.add(a, false));
  ASSERT_TRUE(s.hub.add(r, true));
  for (int i = 1; i <= 5; ++i) s.put("k", std::to_string(i));
  auto read = std::make_shared<event>();
  read->kind = event_kind::list;
  s.hub.publish_read(read);
  s.hub.publish_read(read);
  s.hub.wait_for_key("k", 5, far_future(), waiter_probe().callback());

  const auto st = s.hub.stats();
  EXPECT_EQ(st.subscribers, 2u);
  EXPECT_EQ(st.read_subscribers, 1u);
  EXPECT_EQ(st.key_waiters, 1u);
  EXPECT_EQ(st.head, 5u);
  EXPECT_EQ(st.history_events, 3u);
  EXPECT_EQ(st.history_bytes, s.hub.backlog_bytes(2));
  EXPECT_GT(st.history_bytes, 0u);
  EXPECT_EQ(st.events_published, 5u);
  EXPECT_EQ(st.reads_published, 2u);
}

// --- long-poll waiters ---

TEST(broadcast_hub, a_key_already_changed_after_the_revision_answers_true_at_once) {
  live_store s;
  s.put("a", "1");
  s.put("b", "1");
  waiter_probe probe;
  s.hub.wait_for_key("a", 0, far_future(), probe.callback());
  EXPECT_EQ(probe.wait(), true);
  EXPECT_EQ(s.hub.stats().key_waiters, 0u);
}

TEST(broadcast_hub, a_waiter_is_answered_true_by_a_later_commit_on_its_key_and_not_on_others) {
  live_store s;
  s.put("a", "1");  // at the revision waited after: not a change
  waiter_probe probe;
  s.hub.wait_for_key("a", 1, far_future(), probe.callback());
  EXPECT_EQ(s.hub.stats().key_waiters, 1u);

  s.put("b", "1");
  s.put("ab", "1");
  s.commit({put_op("c", "1"), put_op("d", "1")}, origin::batch);
  // on_commit runs before commit() returns: had "b" fired the waiter, it would be gone by now.
  EXPECT_EQ(s.hub.stats().key_waiters, 1u) << "a commit on another key answered the waiter";
  EXPECT_EQ(probe.answers(), 0u);

  s.put("a", "2");
  EXPECT_EQ(probe.wait(), true);
  EXPECT_EQ(s.hub.stats().key_waiters, 0u);
}

TEST(broadcast_hub, a_delete_an_expiry_or_a_batch_touching_the_key_answers_true) {
  live_store s;
  s.put("d", "1");
  s.put("e", "1", 1000);
  s.put("f", "1");
  waiter_probe deleted, expired, batched;
  const auto head = s.hub.head();
  s.hub.wait_for_key("d", head, far_future(), deleted.callback());
  s.hub.wait_for_key("e", head, far_future(), expired.callback());
  s.hub.wait_for_key("f", head, far_future(), batched.callback());
  EXPECT_EQ(s.hub.stats().key_waiters, 3u);

  s.erase("d");
  EXPECT_EQ(deleted.wait(), true);
  s.clock.advance_ms(1000);
  ASSERT_EQ(s.store.expire_due(10).expired, 1u);
  EXPECT_EQ(expired.wait(), true);
  s.commit({put_op("x", "1"), erase_op("f")}, origin::batch);
  EXPECT_EQ(batched.wait(), true);
}

TEST(broadcast_hub, a_waiter_is_answered_false_at_its_deadline) {
  live_store s;
  s.put("a", "1");
  waiter_probe probe;
  s.hub.wait_for_key("a", 1, steady::now() - 1s, probe.callback());
  EXPECT_EQ(probe.wait(), false);
  EXPECT_EQ(s.hub.stats().key_waiters, 0u);
  EXPECT_EQ(probe.answers(), 1u);
}

TEST(broadcast_hub, a_waiter_is_answered_false_at_stop_and_only_once) {
  live_store s;
  waiter_probe waiting, answered;
  s.hub.wait_for_key("a", 0, far_future(), waiting.callback());
  s.hub.wait_for_key("b", 0, far_future(), answered.callback());
  s.put("b", "1");
  ASSERT_EQ(answered.wait(), true);

  s.hub.stop();
  EXPECT_EQ(waiting.answers(), 1u) << "stop() must answer pending waiters before it returns";
  EXPECT_EQ(waiting.wait(), false);
  EXPECT_EQ(answered.answers(), 1u) << "an answered waiter was answered again";
  EXPECT_EQ(s.hub.stats().key_waiters, 0u);

  s.hub.stop();  // idempotent
  EXPECT_EQ(waiting.answers(), 1u);
}

TEST(broadcast_hub, a_waiter_registered_after_stop_is_answered_false_at_once) {
  live_store s;
  s.hub.stop();
  waiter_probe probe;
  s.hub.wait_for_key("a", 0, far_future(), probe.callback());
  EXPECT_EQ(probe.wait(), false);
  EXPECT_EQ(s.hub.stats().key_waiters, 0u);
}

TEST(broadcast_hub, a_waiter_older_than_the_ring_answers_true_at_once) {
  hub_options o = quick_ticks();
  o.history_events = 2;
  live_store s(o);
  for (int i = 1; i <= 5; ++i) s.put("other", std::to_string(i));
  // The ring holds 4 and 5 only: whether "a" changed at 2 or 3 it cannot tell, so it says yes
  // and the long-poll answers with the key's current state.
  waiter_probe probe;
  s.hub.wait_for_key("a", 1, far_future(), probe.callback());
  EXPECT_EQ(probe.wait(), true);
}

// --- history older than the ring, from the log on disk ---

using test::temp_dir;

// A store logging to small segments, a hub with a short ring reading older history from them.
class logged_hub_test : public ::testing::Test {
 protected:
  static constexpr std::size_t ring_events = 3;

  logged_hub_test() {
    auto w = wal::log_writer::open({dir_.path(), wal::fsync_policy::no, 200, {}, {}}, 1);
    EXPECT_TRUE(w) << w.error().message();
    if (w) writer_ = std::move(*w);
    hub_options o = quick_ticks();
    o.history_events = ring_events;
    live_ = std::make_unique<live_store>(o, &reader_, writer_.get());
  }
  ~logged_hub_test() override {
    live_.reset();
    if (writer_) (void)writer_->close();
  }

  // Every commit is written (and the segment rotated when full) before the next one.
  void written() { ASSERT_TRUE(writer_->sync_now()); }

  std::vector<fs::path> segment_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_.path()))
      if (wal::parse_segment_name(e.path().filename().string())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  temp_dir dir_;
  std::unique_ptr<wal::log_writer> writer_;
  wal::log_reader reader_{dir_.path()};
  std::unique_ptr<live_store> live_;
};

TEST_F(logged_hub_test, revisions_older_than_the_ring_come_from_the_log_with_their_kinds) {
  auto& s = *live_;
  s.put("a", "1");  // 1 put
  written();
  s.commit({put_op("a", "2")}, origin::cas, {{store::condition::kind::value_equals, "a", 0, "1", true}});  // 2 cas
  written();
  s.commit({put_op("b", "1"), erase_op("a")}, origin::batch);  // 3 batch
  written();
  s.commit({put_op("c", "1")}, origin::batch);  // 4 batch of one
  written();
  s.erase("b");  // 5 delete
  written();
  s.put("t", "ttl", 1000);  // 6 put with a deadline
  written();
  for (int i = 7; i <= 10; ++i) {
    s.put("k", std::to_string(i));
    written();
  }
  ASSERT_GE(segment_files().size(), 3u) << "the test needs several segments";
  ASSERT_EQ(s.hub.stats().history_events, ring_events);
  EXPECT_EQ(s.hub.compact_revision(), 0u) << "the log still holds revision 1";

  const auto f = fetch(s.hub, 0);
  ASSERT_TRUE(f.outcome) << f.outcome.message();
  ASSERT_EQ(f.revs(), range(1, 7)) << "the log serves up to where the ring takes over";
  EXPECT_EQ(f.events[0]->kind, event_kind::put);
  EXPECT_EQ(f.events[1]->kind, event_kind::cas);
  EXPECT_EQ(f.events[2]->kind, event_kind::batch);
  ASSERT_EQ(f.events[2]->ops.size(), 2u);
  EXPECT_EQ(f.events[2]->ops[1].what, op_kind::erase);
  EXPECT_EQ(f.events[3]->kind, event_kind::batch) << "a batch of one op is still a batch";
  EXPECT_EQ(f.events[4]->kind, event_kind::erase);
  EXPECT_EQ(f.events[5]->kind, event_kind::put);
  EXPECT_EQ(f.events[5]->ops[0].expires_at_ms, s.clock.now_ms() + 1000);
  EXPECT_EQ(f.events[0]->ops[0].val->bytes(), "1");
  EXPECT_EQ(f.events[1]->ops[0].val->bytes(), "2");
  EXPECT_EQ(f.events[0]->ts_ms, s.clock.now_ms());

  // And the rest from the ring, seamlessly.
  EXPECT_EQ(fetch_all(s.hub, 0, 1000).revs(), range(1, 10));
}

TEST_F(logged_hub_test, small_batches_walk_from_the_log_into_the_ring_without_gap_or_repeat) {
  auto& s = *live_;
  for (int i = 1; i <= 15; ++i) {
    s.put("k" + std::to_string(i % 4), std::to_string(i));
    written();
  }
  ASSERT_GE(segment_files().size(), 4u);
  for (const std::size_t batch : {1, 2, 5}) {
    const auto f = fetch_all(s.hub, 0, batch);
    ASSERT_TRUE(f.outcome) << f.outcome.message();
    EXPECT_EQ(f.revs(), range(1, 15)) << "batches of " << batch;
  }
  EXPECT_EQ(fetch_all(s.hub, 6, 2).revs(), range(7, 15));
}

TEST_F(logged_hub_test, a_log_that_lost_its_first_segments_is_history_compacted_before_them) {
  auto& s = *live_;
  for (int i = 1; i <= 15; ++i) {
    s.put("k", std::to_string(i));
    written();
  }
  const auto files = segment_files();
  ASSERT_GE(files.size(), 3u);
  fs::remove(files[0]);  // as a snapshot does
  const auto first = *wal::parse_segment_name(files[1].filename().string());
  EXPECT_EQ(s.hub.compact_revision(), first - 1);
  const auto gone = fetch(s.hub, first - 2);
  EXPECT_EQ(gone.outcome.code(), errc::history_compacted) << gone.outcome.message();
  EXPECT_TRUE(gone.events.empty());
  const auto held = fetch_all(s.hub, first - 1, 4);
  ASSERT_TRUE(held.outcome) << held.outcome.message();
  EXPECT_EQ(held.revs(), range(first, 15));
}

TEST_F(logged_hub_test, a_damaged_log_fails_the_fetch_as_internal_not_as_compacted) {
  auto& s = *live_;
  for (int i = 1; i <= 10; ++i) {
    s.put("k", std::to_string(i));
    written();
  }
  const auto first = segment_files().front();
  {
    std::fstream f(first, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(first) / 2);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  const auto f = fetch(s.hub, 0);
  EXPECT_EQ(f.outcome.code(), errc::internal) << f.outcome.message();
  // What the ring holds is unaffected.
  EXPECT_EQ(fetch(s.hub, 7).revs(), range(8, 10));
}

// The hub asks for history older than its ring through store::commit_history alone: a history of
// the test's own serves resumes exactly as the log does, and the cursor the hub hands back is
// the one the history left.
struct listed_history final : store::commit_history {
  std::optional<std::uint64_t> first_revision() const override {
    if (commits.empty()) return std::nullopt;
    return commits.front().revision;
  }
  status read_after(std::uint64_t after, std::size_t max_commits, std::size_t, store::history_cursor& cursor,
                    std::vector<store::replayed_commit>& out) const override {
    cursors_seen.push_back(cursor.offset);
    for (const auto& c : commits) {
      if (c.revision <= after) continue;
      if (out.size() == max_commits) break;
      out.push_back(c);
    }
    cursor.offset = out.empty() ? cursor.offset : out.back().revision;
    return status::success();
  }
  std::vector<store::replayed_commit> commits;
  mutable std::vector<std::uint64_t> cursors_seen;
};

TEST(broadcast_hub, resumes_older_than_the_ring_come_from_any_commit_history_through_one_fetch) {
  hub_options o = quick_ticks();
  o.history_events = 3;
  listed_history history;
  live_store s(o, nullptr);
  broadcast_hub hub(o, &history);
  s.store.add_observer(&hub);
  s.store.checkpoint([&](std::uint64_t revision) { hub.start(revision); });
  for (int i = 1; i <= 10; ++i) {
    s.put("k" + std::to_string(i), "v");
    store::replayed_commit c;
    c.revision = static_cast<std::uint64_t>(i);
    c.ops.push_back({op_kind::put, "k" + std::to_string(i), store::make_value("v"), 0});
    history.commits.push_back(std::move(c));
  }
  EXPECT_EQ(hub.compact_revision(), 0u) << "the history holds revision 1";
  const auto all = fetch_all(hub, 0, 4);
  ASSERT_TRUE(all.outcome) << all.outcome.message();
  EXPECT_EQ(all.revs(), range(1, 10));
  EXPECT_EQ(all.events[0]->kind, event_kind::put);
  EXPECT_EQ(all.events[0]->ops[0].key, "k1");
  ASSERT_GE(history.cursors_seen.size(), 2u);
  EXPECT_EQ(history.cursors_seen[0], 0u);
  EXPECT_EQ(history.cursors_seen[1], 4u) << "the caller's cursor carries the history's place between fetches";
}

}  // namespace
}  // namespace livekv::hub
