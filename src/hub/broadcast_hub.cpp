#include "livekv/hub/broadcast_hub.hpp"

#include <algorithm>
#include <limits>
#include <spdlog/spdlog.h>

namespace livekv::hub {

namespace {
using steady = std::chrono::steady_clock;
}

broadcast_hub::broadcast_hub(hub_options opts, const store::commit_history* history)
    : opts_(opts), history_(history), ring_(opts.history_events, opts.history_bytes, 0) {}

broadcast_hub::~broadcast_hub() { stop(); }

void broadcast_hub::start(std::uint64_t base_revision) {
  {
    util::unique_lock lock(ring_mutex_);
    ring_.reset(base_revision);
    head_.store(base_revision, std::memory_order_release);
  }
  util::lock_guard lock(thread_mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void broadcast_hub::stop() {
  {
    util::lock_guard lock(thread_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  thread_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  // Long-polls still waiting get their timeout answer now, so their connections can finish.
  std::vector<waiter_fn> rest;
  std::vector<waiter_fn> changed;  // their key changed; the hub's thread did not get to answer them
  waiters_.stop(changed, rest);
  for (auto& f : changed) f(true);
  for (auto& f : rest) f(false);
}

void broadcast_hub::on_commit(const store::commit_request& req, const store::commit_outcome& out) noexcept {
  // Building the event copies the keys and shares the values: no formatting here (see event::json).
  event_ptr ev = make_write_event(req, out);
  {
    util::unique_lock lock(ring_mutex_);
    ring_.push(ev);
    head_.store(ev->rev, std::memory_order_seq_cst);
  }
  published_.fetch_add(1, std::memory_order_relaxed);
  bool wake = armed_count_.load(std::memory_order_seq_cst) > 0;
  if (waiters_.fire(*ev)) wake = true;
  if (wake) signal();
}

void broadcast_hub::signal() noexcept {
  // Only the first signal since the hub's thread last looked takes the lock; later commits see the
  // flag already set and pay one atomic exchange.
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  util::lock_guard lock(thread_mutex_);
  thread_cv_.notify_one();
}

void broadcast_hub::run() {
  auto next_tick = steady::now() + opts_.tick;
  std::vector<std::weak_ptr<subscriber>> to_wake;
  std::vector<waiter_fn> to_fire;
  for (;;) {
    {
      util::lock_guard lock(thread_mutex_);
      thread_cv_.wait_until(thread_mutex_, next_tick, [&]() LIVEKV_REQUIRES(thread_mutex_) {
        return stopping_ || pending_.load(std::memory_order_acquire);
      });
      if (stopping_) return;
    }
    // Only a commit (signal()) wakes armed subscribers: a tick with nothing published leaves them
    // asleep, so an idle server with many subscribers costs nothing between bookmarks.
    if (pending_.exchange(false, std::memory_order_acq_rel)) {
      {
        util::lock_guard lock(armed_mutex_);
        to_wake.swap(armed_);
        armed_count_.fetch_sub(to_wake.size(), std::memory_order_seq_cst);
      }
      waiters_.take_fired(to_fire);
    }
    for (auto& w : to_wake)
      if (auto s = w.lock()) s->wake();
    to_wake.clear();
    for (auto& f : to_fire) f(true);
    to_fire.clear();

    const auto now = steady::now();
    if (now >= next_tick) {
      tick_all(now);
      next_tick = now + opts_.tick;
    }
  }
}

void broadcast_hub::tick_all(steady::time_point now) {
  std::vector<std::weak_ptr<subscriber>> subs;
  {
    util::lock_guard lock(members_mutex_);
    subs.reserve(members_.size());
    for (const auto& [id, m] : members_) subs.push_back(m.sub);
  }
  const auto h = head();
  for (auto& w : subs)
    if (auto s = w.lock()) s->tick(now, h);

  std::vector<waiter_fn> expired;
  waiters_.take_expired(now, expired);
  for (auto& f : expired) f(false);
}

void broadcast_hub::publish_read(const event_ptr& ev) {
  reads_published_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::weak_ptr<subscriber>> subs;
  {
    util::lock_guard lock(members_mutex_);
    for (const auto& [id, m] : members_)
      if (m.reads) subs.push_back(m.sub);
  }
  for (auto& w : subs)
    if (auto s = w.lock()) s->on_read(ev);
}

result<std::uint64_t> broadcast_hub::add(std::weak_ptr<subscriber> s, bool reads) {
  util::lock_guard lock(members_mutex_);
  if (members_.size() >= opts_.max_subscribers)
    return status(errc::too_many_subscribers,
                  "the server already has " + std::to_string(members_.size()) + " feed subscribers (--feed-max-subscribers)");
  const auto id = next_id_++;
  members_.emplace(id, member{std::move(s), reads});
  if (reads) read_subscribers_.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void broadcast_hub::remove(std::uint64_t id) noexcept {
  util::lock_guard lock(members_mutex_);
  const auto it = members_.find(id);
  if (it == members_.end()) return;
  if (it->second.reads) read_subscribers_.fetch_sub(1, std::memory_order_relaxed);
  members_.erase(it);
}

std::uint64_t broadcast_hub::compact_revision() const {
  std::uint64_t first;
  {
    util::shared_lock lock(ring_mutex_);
    first = ring_.first();
  }
  if (history_) {
    if (const auto older = history_->first_revision()) first = std::min(first, *older);
  }
  return first == 0 ? 0 : first - 1;
}

status broadcast_hub::fetch(std::uint64_t after, std::size_t max_events, std::size_t max_bytes,
                            history_cursor& cursor, std::vector<event_ptr>& out) const {
  std::uint64_t ring_first;
  {
    util::shared_lock lock(ring_mutex_);
    ring_first = ring_.first();
    if (after + 1 >= ring_first) {
      ring_.copy_after(after, max_events, max_bytes, out);
      return status::success();
    }
  }
  const auto gone = [&] {
    return status(errc::history_compacted, "revision " + std::to_string(after + 1) + " is no longer held");
  };
  if (!history_) return gone();
  std::vector<store::replayed_commit> commits;
  if (auto s = history_->read_after(after, std::min(max_events, ring_first - after - 1), max_bytes, cursor, commits);
      !s)
    return s;
  // The history must continue the sequence exactly up to where the ring takes over.
  for (const auto& c : commits) {
    if (c.revision >= ring_first) break;
    if (c.revision != after + 1) return gone();
    out.push_back(from_history(c));
    ++after;
  }
  if (out.empty()) return gone();
  return status::success();
}

event_ptr broadcast_hub::from_history(const store::replayed_commit& c) const {
  auto ev = std::make_shared<event>();
  ev->rev = c.revision;
  ev->ts_ms = c.time_ms;
  for (const auto& op : c.ops) {
    event_op e;
    e.what = op.what;
    e.key = op.key;
    e.val = op.val;
    e.expires_at_ms = op.expires_at_ms;
    ev->ops.push_back(std::move(e));
  }
  using origin = store::commit_request::kind;
  if (c.origin == origin::cas) {
    ev->kind = event_kind::cas;
  } else if (c.origin == origin::batch || ev->ops.size() != 1) {
    ev->kind = event_kind::batch;
  } else {
    const auto w = ev->ops[0].what;
    ev->kind = w == store::operation::kind::put     ? event_kind::put
               : w == store::operation::kind::erase ? event_kind::erase
                                                    : event_kind::expire;
  }
  return ev;
}

std::uint64_t broadcast_hub::backlog_bytes(std::uint64_t after) const {
  util::shared_lock lock(ring_mutex_);
  return ring_.bytes_after(after);
}

bool broadcast_hub::arm(std::weak_ptr<subscriber> s, std::uint64_t after) {
  {
    util::lock_guard lock(armed_mutex_);
    armed_.push_back(std::move(s));
    armed_count_.fetch_add(1, std::memory_order_seq_cst);
  }
  // The commit path publishes head_ before reading armed_count_, and we count ourselves before
  // reading head_: of a racing pair, at least one sees the other, so no event goes unnoticed.
  // When it is already there the caller fetches at once; the entry left behind costs one spurious
  // wake, which a subscriber treats as "fetch, and arm again if there is nothing".
  return head_.load(std::memory_order_seq_cst) <= after;
}

void broadcast_hub::wait_for_key(std::string key, std::uint64_t after, steady::time_point deadline, waiter_fn done) {
  bool changed = false;
  {
    // Under the ring lock no commit is published: either the change is in the ring already or the
    // commit path will find the waiter registered below.
    util::shared_lock ring_lock(ring_mutex_);
    if (after + 1 < ring_.first()) {
      changed = true;  // the ring no longer tells: answer with the current state
    } else {
      std::vector<event_ptr> evs;
      ring_.copy_after(after, ring_.size(), std::numeric_limits<std::size_t>::max(), evs);
      changed = std::any_of(evs.begin(), evs.end(), [&](const event_ptr& ev) {
        return std::any_of(ev->ops.begin(), ev->ops.end(), [&](const event_op& op) { return op.key == key; });
      });
    }
    if (!changed && waiters_.add(std::move(key), after, deadline, done)) return;
  }
  done(changed);  // outside the locks: it may do anything
}

hub_stats broadcast_hub::stats() const {
  hub_stats s;
  {
    util::lock_guard lock(members_mutex_);
    s.subscribers = members_.size();
  }
  s.read_subscribers = read_subscribers_.load(std::memory_order_relaxed);
  s.key_waiters = waiters_.size();
  {
    util::shared_lock lock(ring_mutex_);
    s.head = ring_.head();
    s.history_events = ring_.size();
    s.history_bytes = ring_.bytes();
  }
  s.events_published = published_.load(std::memory_order_relaxed);
  s.reads_published = reads_published_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace livekv::hub
