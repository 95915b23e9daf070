#pragma once
// The broadcast hub: every applied write commit becomes one event, appended in revision order to a
// bounded history ring that all subscribers read from at their own pace. Publishing is O(1) and
// never waits for a subscriber: the commit path (which calls on_commit under the store's commit
// lock) only appends to the ring and, when someone is waiting, flags the hub's thread, which then
// wakes the waiting subscribers outside every store lock. A subscriber that falls too far behind
// is cut off by its own session (see feed/feed_session), never by slowing the writer.
//
// Also here: read events for audit subscribers (published only when one listens), and the key
// waiters of long-poll GETs (hub/key_waiters), which the same commit path fires.
//
// Resumes older than the ring are read from the store's commit history (the log), behind the
// same fetch(): a subscriber never knows which of the two served it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "livekv/hub/event.hpp"
#include "livekv/hub/history_ring.hpp"
#include "livekv/hub/key_waiters.hpp"
#include "livekv/hub/subscriber.hpp"
#include "livekv/status.hpp"
#include "livekv/store/commit_history.hpp"
#include "livekv/store/commit_observer.hpp"
#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::hub {

struct hub_options {
  std::size_t history_events = 65'536;
  std::size_t history_bytes = 64 * 1024 * 1024;
  std::size_t max_value_bytes = 1024;  // in event JSON (see event::json)
  std::size_t max_subscribers = 50'000;
  std::chrono::milliseconds tick{100};  // subscriber ticks and long-poll deadlines
};

struct hub_stats {
  std::size_t subscribers = 0;
  std::size_t read_subscribers = 0;
  std::size_t key_waiters = 0;
  std::uint64_t head = 0;
  std::size_t history_events = 0;
  std::size_t history_bytes = 0;
  std::uint64_t events_published = 0;  // write events
  std::uint64_t reads_published = 0;
};

// Where a subscriber's fetches continue in the history older than the ring (opaque to it).
using history_cursor = store::history_cursor;

class broadcast_hub final : public store::commit_observer {
 public:
  // `history` (may be null: --in-memory) serves resumes older than the ring; it must outlive the
  // hub.
  broadcast_hub(hub_options opts, const store::commit_history* history);
  ~broadcast_hub() override;  // stop()
  broadcast_hub(const broadcast_hub&) = delete;
  broadcast_hub& operator=(const broadcast_hub&) = delete;

  // Starts the hub's thread. Events follow `base_revision` (the store's revision when the hub is
  // attached: call under kv_store::checkpoint so no commit slips between). Once.
  void start(std::uint64_t base_revision);
  // Answers every pending long-poll waiter (as timed out) and stops the thread. Idempotent.
  void stop();

  // store::commit_observer: under the commit lock, in revision order.
  void on_commit(const store::commit_request& req, const store::commit_outcome& out) noexcept override;

  // --- reads (audit view) ---
  // True when some subscriber wants read events; check before building one, so reads cost an
  // atomic load when nobody listens.
  bool wants_reads() const noexcept { return read_subscribers_.load(std::memory_order_relaxed) > 0; }
  void publish_read(const event_ptr& ev);

  // --- subscriptions ---
  // Registers `s` for ticks (and read events when `reads`). Errors: too_many_subscribers.
  result<std::uint64_t> add(std::weak_ptr<subscriber> s, bool reads);
  void remove(std::uint64_t id) noexcept;

  std::uint64_t head() const noexcept { return head_.load(std::memory_order_acquire); }
  // A resume "since=R" can be served iff compact_revision() <= R <= head().
  std::uint64_t compact_revision() const;

  // Appends the write events with revision > after, oldest first (at most `max_events`, and
  // `max_bytes` of JSON-ish footprint, at least one), from the ring or, for revisions it no longer
  // holds, from the commit history (`cursor` keeps the caller's place there). Thread-safe.
  // Errors: history_compacted (neither holds after + 1 any more), internal (damaged log).
  status fetch(std::uint64_t after, std::size_t max_events, std::size_t max_bytes, history_cursor& cursor,
               std::vector<event_ptr>& out) const;
  // Footprint of the held events after `after` (a live subscriber's backlog).
  std::uint64_t backlog_bytes(std::uint64_t after) const;

  // Asks for one wake() once an event after `after` is published. Returns false when one already
  // is: fetch again instead (the registration stays, so one spurious wake may follow; subscribers
  // treat a wake as "fetch, and arm again if there is nothing").
  bool arm(std::weak_ptr<subscriber> s, std::uint64_t after);

  // --- long-poll ---
  // Calls `done(true)` once `key` changes at a revision > after (at once when it already has, or
  // when the ring no longer tells), or `done(false)` at `deadline` or at stop(). Exactly once,
  // from the hub's thread or the caller's.
  using waiter_fn = key_waiters::done_fn;
  void wait_for_key(std::string key, std::uint64_t after, std::chrono::steady_clock::time_point deadline,
                    waiter_fn done);

  // Counters and sizes, without compact_revision() (which lists the data directory).
  hub_stats stats() const;
  const hub_options& options() const noexcept { return opts_; }

 private:
  struct member {
    std::weak_ptr<subscriber> sub;
    bool reads;
  };

  void run();
  void signal() noexcept;
  void tick_all(std::chrono::steady_clock::time_point now);
  event_ptr from_history(const store::replayed_commit& c) const;

  const hub_options opts_;
  const store::commit_history* const history_;

  // Guards the ring. Exclusive only to push (the commit path); subscribers share it to copy events.
  mutable util::shared_mutex ring_mutex_;
  history_ring ring_ LIVEKV_GUARDED_BY(ring_mutex_);
  std::atomic<std::uint64_t> head_{0};

  // Guards members_, next_id_.
  mutable util::mutex members_mutex_;
  std::unordered_map<std::uint64_t, member> members_ LIVEKV_GUARDED_BY(members_mutex_);
  std::uint64_t next_id_ LIVEKV_GUARDED_BY(members_mutex_) = 1;
  std::atomic<std::size_t> read_subscribers_{0};

  // Guards armed_. armed_count_ mirrors its size so the commit path can skip the lock.
  util::mutex armed_mutex_;
  std::vector<std::weak_ptr<subscriber>> armed_ LIVEKV_GUARDED_BY(armed_mutex_);
  std::atomic<std::size_t> armed_count_{0};

  key_waiters waiters_;  // long-poll GETs; thread-safe on its own

  // Guards stopping_ and pending_'s hand-over to the hub's thread (pending_ itself is atomic so the
  // commit path only takes the lock when it flips it).
  util::mutex thread_mutex_;
  util::condition_variable thread_cv_;
  std::atomic<bool> pending_{false};
  bool stopping_ LIVEKV_GUARDED_BY(thread_mutex_) = false;
  bool started_ LIVEKV_GUARDED_BY(thread_mutex_) = false;
  std::thread thread_;

  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> reads_published_{0};
};

}  // namespace livekv::hub
