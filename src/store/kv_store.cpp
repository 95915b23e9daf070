#include "livekv/store/kv_store.hpp"

#include <algorithm>
#include <limits>

namespace livekv::store {

const clock& kv_store::default_clock() {
  static const system_clock c;
  return c;
}

kv_store::kv_store(const clock& clk) : clock_(clk) {}

std::optional<entry> kv_store::get(std::string_view key) const {
  util::shared_lock lock(map_mutex_);
  const entry* e = find_locked(key);
  // The clock is read only for keys that have a deadline: most reads pay nothing for TTL.
  if (!e || (e->expires_at_ms != 0 && e->expired_at(clock_.now_ms()))) return std::nullopt;
  return *e;
}

list_page kv_store::list(const list_query& q) const {
  list_page page;
  if (q.limit == 0) {
    page.revision = revision();
    return page;
  }
  const std::int64_t now = clock_.now_ms();
  util::shared_lock lock(map_mutex_);
  page.revision = revision_.load(std::memory_order_relaxed);
  auto it = table_.lower_bound(q.prefix);
  if (q.start_after && *q.start_after >= q.prefix) it = table_.upper_bound(*q.start_after);
  page.items.reserve(std::min<std::size_t>(q.limit, 64));
  for (; it != table_.end() && it->key().starts_with(q.prefix); ++it) {
    if (it->e.expired_at(now)) continue;
    if (page.items.size() == q.limit) {
      page.next = page.items.back().key;
      break;
    }
    page.items.push_back({std::string(it->key()), it->e});
  }
  return page;
}

store_stats kv_store::stats() const {
  util::shared_lock lock(map_mutex_);
  return {table_.size(), ttl_keys_, bytes_, revision_.load(std::memory_order_relaxed)};
}

const entry* kv_store::find_locked(std::string_view key) const {
  const key_table::node* n = table_.find(key);
  return n ? &n->e : nullptr;
}

const entry* kv_store::current_locked(std::string_view key) const {
  if (!overlay_.empty()) {
    if (const auto it = overlay_.find(key); it != overlay_.end()) return it->second.e ? &*it->second.e : nullptr;
  }
  return find_committed(key);
}

const entry* kv_store::find_live(std::string_view key, std::int64_t now_ms) const {
  const entry* e = current_locked(key);
  return e && !e->expired_at(now_ms) ? e : nullptr;
}

bool kv_store::holds(const condition& c, const entry* current) const {
  switch (c.what) {
    case condition::kind::mod_revision:
      return (current ? current->mod_revision : 0) == c.revision;
    case condition::kind::value_equals:
      return current && current->val->bytes() == c.bytes;
    case condition::kind::exists:
      return (current != nullptr) == c.present;
  }
  return false;
}

result<commit_outcome> kv_store::commit(const commit_request& req) {
  util::lock_guard commit_lock(commit_mutex_);
  return commit_locked(req, clock_.now_ms());
}

void kv_store::expire_if_dead_locked(std::string_view key, std::int64_t now_ms) {
  const entry* e = current_locked(key);
  if (!e || !e->expired_at(now_ms)) return;
  commit_request r;
  r.ops.push_back({operation::kind::expire, std::string(key), nullptr, 0, e->mod_revision});
  // A refused expiry (failed log) leaves the dead key in place; reads still treat it as absent.
  (void)commit_locked(r, now_ms);
}

result<commit_outcome> kv_store::commit_locked(const commit_request& req, std::int64_t now_ms) {
  commit_outcome out;
  out.time_ms = now_ms;
  const bool is_expiry = req.ops.size() == 1 && req.ops[0].what == operation::kind::expire;
  if (!is_expiry) {
    for (const auto& c : req.conditions) expire_if_dead_locked(c.key, now_ms);
    for (const auto& op : req.ops) expire_if_dead_locked(op.key, now_ms);
  }
  // Only writers change the maps and we are the only writer now (commit_mutex_), so reading them
  // without map_mutex_ is race-free; readers holding the shared lock do not mutate.
  const std::uint64_t current_rev = assigned_;
  // What a commit that writes nothing saw may be staged: its answer, too, waits until that is
  // durable (it would otherwise report a value a failing disk could still lose).
  const std::uint64_t seen_ticket = staged_.empty() ? 0 : staged_.back().ticket;
  for (std::size_t i = 0; i < req.conditions.size(); ++i) {
    const entry* cur = find_live(req.conditions[i].key, now_ms);
    if (!holds(req.conditions[i], cur)) {
      out.revision = current_rev;
      out.failed_condition = i;
      if (cur) out.failed_current = *cur;
      out.durable = ticket_for(seen_ticket);
      return out;
    }
  }
  const bool writes = std::any_of(req.ops.begin(), req.ops.end(),
                                  [](const operation& op) { return op.what != operation::kind::get; });
  const std::uint64_t rev = writes ? current_rev + 1 : current_rev;
  // Log before apply: a commit the log refused is never visible.
  commit_log* const log = log_;
  if (writes && log) {
    logged_commit lc;
    lc.revision = rev;
    lc.time_ms = now_ms;
    lc.origin = req.origin;
    lc.ops.reserve(req.ops.size());
    for (const auto& op : req.ops) {
      if (op.what == operation::kind::get) continue;
      lc.ops.push_back({op.what, op.key, op.val.get(), op.ttl_ms > 0 ? now_ms + op.ttl_ms : 0});
    }
    auto ticket = log->append(lc);
    if (!ticket) return ticket.error();
    out.durable = durable_ticket(*log, *ticket);
  }
  out.results.resize(req.ops.size());
  out.revision = rev;
  out.applied = true;
  assigned_ = rev;
  if (!writes) {
    for (std::size_t i = 0; i < req.ops.size(); ++i) {
      const entry* cur = find_live(req.ops[i].key, now_ms);
      if (cur) out.results[i].previous = *cur;
    }
    out.durable = ticket_for(seen_ticket);
    return out;
  }
  if (staging_ && out.durable) {
    // Decided against the overlay and kept there until durable_through() installs it.
    staged_commit sc;
    sc.ticket = out.durable.number();
    sc.after.resize(req.ops.size());
    for (std::size_t i = 0; i < req.ops.size(); ++i) {
      sc.after[i] = decide(req.ops[i], current_locked(req.ops[i].key), rev, now_ms, out.results[i]);
      if (out.results[i].changed) overlay_[req.ops[i].key] = staged_key{sc.after[i], rev};
    }
    sc.req = req;
    sc.out = out;
    staged_.push_back(std::move(sc));
    return out;
  }
  {
    util::unique_lock lock(map_mutex_);
    for (std::size_t i = 0; i < req.ops.size(); ++i) {
      key_table::node* n = table_.find(req.ops[i].key);
      auto after = decide(req.ops[i], n ? &n->e : nullptr, rev, now_ms, out.results[i]);
      if (out.results[i].changed) install_locked(n, req.ops[i].key, std::move(after));
    }
    revision_.store(rev, std::memory_order_release);
  }
  for (std::size_t i = 0; i < req.ops.size(); ++i)
    if (out.results[i].expires_at_ms != 0) push_deadline_locked(out.results[i].expires_at_ms, rev, req.ops[i].key);
  for (commit_observer* o : observers_) o->on_commit(req, out);
  return out;
}

std::optional<entry> kv_store::decide(const operation& op, const entry* cur, std::uint64_t rev, std::int64_t now_ms,
                                      op_outcome& out) {
  if (cur && op.what != operation::kind::expire && !cur->expired_at(now_ms)) out.previous = *cur;
  switch (op.what) {
    case operation::kind::get:
      break;
    case operation::kind::put: {
      const std::int64_t expires = op.ttl_ms > 0 ? now_ms + op.ttl_ms : 0;
      out.changed = true;
      out.expires_at_ms = expires;
      out.created = cur == nullptr;
      if (!cur) return entry{op.val, rev, rev, 1, expires};
      return entry{op.val, cur->create_revision, rev, cur->version + 1, expires};
    }
    case operation::kind::expire:
      if (!cur || cur->mod_revision != op.expect_revision) break;
      out.previous = *cur;
      out.changed = true;
      break;
    case operation::kind::erase:
      out.changed = cur != nullptr;
      break;
  }
  return std::nullopt;
}

void kv_store::install_locked(key_table::node* n, std::string_view key, std::optional<entry> after) {
  if (n && n->e.expires_at_ms != 0) --ttl_keys_;
  if (!after) {
    if (!n) return;
    bytes_ -= n->key().size() + n->e.val->bytes().size();
    table_.erase(*n);
    return;
  }
  if (after->expires_at_ms != 0) ++ttl_keys_;
  if (!n) {
    bytes_ += key.size() + after->val->bytes().size();
    table_.insert(key, std::move(*after));
    return;
  }
  bytes_ = bytes_ - n->e.val->bytes().size() + after->val->bytes().size();
  n->e = std::move(*after);
}

void kv_store::durable_through(std::uint64_t ticket) noexcept {
  util::lock_guard commit_lock(commit_mutex_);
  std::size_t ready = 0;
  while (ready < staged_.size() && staged_[ready].ticket <= ticket) ++ready;
  if (ready == 0) return;
  {
    util::unique_lock lock(map_mutex_);
    for (std::size_t c = 0; c < ready; ++c) {
      staged_commit& sc = staged_[c];
      for (std::size_t i = 0; i < sc.req.ops.size(); ++i)
        if (sc.out.results[i].changed)
          install_locked(table_.find(sc.req.ops[i].key), sc.req.ops[i].key, std::move(sc.after[i]));
    }
    revision_.store(staged_[ready - 1].out.revision, std::memory_order_release);
  }
  for (std::size_t c = 0; c < ready; ++c) {
    const staged_commit& sc = staged_.front();
    for (std::size_t i = 0; i < sc.req.ops.size(); ++i) {
      const auto& key = sc.req.ops[i].key;
      if (sc.out.results[i].expires_at_ms != 0) push_deadline_locked(sc.out.results[i].expires_at_ms, sc.out.revision, key);
      // The key leaves the overlay once no later staged commit wrote it: the maps have caught up.
      if (const auto it = overlay_.find(key); it != overlay_.end() && it->second.revision == sc.out.revision)
        overlay_.erase(it);
    }
    for (commit_observer* o : observers_) o->on_commit(sc.req, sc.out);
    staged_.pop_front();
  }
}

void kv_store::push_deadline_locked(std::int64_t at_ms, std::uint64_t rev, std::string_view key) {
  deadlines_.push_back({at_ms, rev, std::string(key)});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  // Keys rewritten with a TTL leave stale items behind. When they outnumber the live ones, drop
  // them: a pass over the heap alone (not the map), after as many stale pushes as it holds live
  // items, so amortized O(1) per write.
  if (deadlines_.size() > 2 * ttl_keys_committed() + 1024) {
    std::erase_if(deadlines_, [&](const deadline& d) LIVEKV_REQUIRES(commit_mutex_) {
      const entry* e = find_committed(d.key);
      return !e || e->mod_revision != d.mod_revision || e->expires_at_ms != d.at_ms;
    });
    std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  }
}

expiry_pass kv_store::expire_due(std::size_t max_keys, const std::function<void(std::int64_t)>& on_expired) {
  expiry_pass pass;
  util::unique_lock commit_lock(commit_mutex_);
  const std::int64_t now = clock_.now_ms();
  durable_ticket last_ticket;
  while (!deadlines_.empty() && pass.expired < max_keys) {
    const deadline& d = deadlines_.front();
    if (d.at_ms > now) break;
    const entry* e = current_locked(d.key);
    if (e && e->mod_revision == d.mod_revision && e->expires_at_ms == d.at_ms) {
      commit_request r;
      r.ops.push_back({operation::kind::expire, d.key, nullptr, 0, d.mod_revision});
      const auto out = commit_locked(r, now);
      if (!out) {  // the log failed: keep the deadline, retry later
        pass.stalled = true;
        break;
      }
      last_ticket = out->durable;
      ++pass.expired;
      if (on_expired) on_expired(now - d.at_ms);
    }
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    deadlines_.pop_back();
  }
  if (!deadlines_.empty()) pass.next_deadline_ms = deadlines_.front().at_ms;
  const bool staged = staging_ && last_ticket;
  commit_lock.unlock();
  // No client waits for an expiry; a staged one would reach readers and the feed only with the
  // log's next once-a-second look. Asking for it makes the log sync it now.
  if (staged) last_ticket.when_durable([](status) {});
  return pass;
}

}  // namespace livekv::store

namespace livekv::store {

void kv_store::attach_log(commit_log* log) {
  util::lock_guard commit_lock(commit_mutex_);
  log_ = log;
  // Detaching keeps what is staged: the log being closed still reports it durable (or not).
  if (!log) return;
  staging_ = log->visible_when_durable();
  if (staging_) log->set_durability_listener(this);
}

void kv_store::add_observer(commit_observer* o) {
  util::lock_guard commit_lock(commit_mutex_);
  observers_.push_back(o);
}

durable_ticket kv_store::ticket_for(std::uint64_t ticket) const {
  commit_log* const log = log_;
  return log ? durable_ticket(*log, ticket) : durable_ticket{};
}

void kv_store::checkpoint(const std::function<void(std::uint64_t)>& at) {
  util::lock_guard commit_lock(commit_mutex_);
  at(assigned_);
}

void kv_store::load_entry(std::string_view key, const entry& e) {
  util::lock_guard commit_lock(commit_mutex_);
  {
    util::unique_lock lock(map_mutex_);
    // A key loaded twice keeps the later entry.
    install_locked(table_.find(key), key, e);
  }
  if (e.expires_at_ms != 0) {
    deadlines_.push_back({e.expires_at_ms, e.mod_revision, std::string(key)});
    std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  }
}

void kv_store::reserve(std::size_t keys) {
  util::lock_guard commit_lock(commit_mutex_);
  util::unique_lock lock(map_mutex_);
  table_.reserve(keys);
}

void kv_store::set_revision(std::uint64_t revision) {
  util::lock_guard commit_lock(commit_mutex_);
  assigned_ = revision;
  revision_.store(revision, std::memory_order_release);
}

void kv_store::replay(const replayed_commit& c) {
  util::lock_guard commit_lock(commit_mutex_);
  // Decide every op against the state before this commit, so that two ops of one batch on the
  // same key are both applied (the first would otherwise make the second look already seen).
  std::vector<bool> seen(c.ops.size());
  for (std::size_t i = 0; i < c.ops.size(); ++i) {
    const entry* e = find_committed(c.ops[i].key);
    seen[i] = e && e->mod_revision >= c.revision;
  }
  std::vector<std::size_t> deadlines;
  {
    util::unique_lock lock(map_mutex_);
    for (std::size_t i = 0; i < c.ops.size(); ++i) {
      if (seen[i]) continue;
      const replayed_op& op = c.ops[i];
      operation o{op.what == operation::kind::put ? operation::kind::put : operation::kind::erase, op.key, op.val, 0, 0};
      op_outcome out;
      key_table::node* n = table_.find(op.key);
      // Logged deadlines are absolute: the op is decided at the start of time (nothing has
      // expired yet) and keeps the deadline it was given.
      auto after = decide(o, n ? &n->e : nullptr, c.revision, std::numeric_limits<std::int64_t>::min(), out);
      if (!out.changed) continue;
      if (after && op.what == operation::kind::put && op.expires_at_ms != 0) {
        after->expires_at_ms = op.expires_at_ms;
        deadlines.push_back(i);
      }
      install_locked(n, op.key, std::move(after));
    }
    if (c.revision > revision_.load(std::memory_order_relaxed)) revision_.store(c.revision, std::memory_order_release);
    assigned_ = std::max(assigned_, c.revision);
  }
  for (const std::size_t i : deadlines) push_deadline_locked(c.ops[i].expires_at_ms, c.revision, c.ops[i].key);
}

}  // namespace livekv::store
