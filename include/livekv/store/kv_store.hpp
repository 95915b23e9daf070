#pragma once
#include <atomic>
#include <deque>
#include <functional>
#include <unordered_map>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/clock.hpp"
#include "livekv/store/commit_log.hpp"
#include "livekv/store/commit_observer.hpp"
#include "livekv/store/entry.hpp"
#include "livekv/store/key_table.hpp"
#include "livekv/store/listing.hpp"
#include "livekv/store/operation.hpp"
#include "livekv/store/state_machine.hpp"
#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::store {

struct expiry_pass {
  std::size_t expired = 0;                  // keys removed by this pass
  bool stalled = false;                     // a removal was refused (the log failed): retry later
  std::optional<std::int64_t> next_deadline_ms;  // earliest pending deadline, if any
};

struct store_stats {
  std::uint64_t keys = 0;
  std::uint64_t keys_with_ttl = 0;
  std::uint64_t bytes = 0;  // key bytes + value bytes
  std::uint64_t revision = 0;
};

// The in-memory key space. Thread-safe: readers run concurrently under a shared lock; writers are
// serialized by the commit mutex, so revision order is apply order. The exclusive lock is held only
// to apply an already-validated commit to the maps (no I/O, no allocation of values under it).
//
// Two views of the keys: what readers see (the maps), and what the next commit is decided
// against. They are the same unless the attached log shows commits only once durable (--fsync
// always): then a commit is decided, logged and *staged* — kept in an overlay that later commits
// are decided against, so a CAS sees the write before it — and installed into the maps, and
// published to observers, when the log says it is durable (durable_through). A staged commit
// whose log write fails is never installed: no reader, long-poll or feed ever sees it.
//
// The write-ahead log reaches it only as a state_machine; the recovery-only part of that interface
// (loading entries, replaying commits) is private here, so nothing else can call it by accident.
class kv_store final : public state_machine, private durability_listener {
 public:
  // `clk` must outlive the store; it decides when keys with a TTL are gone.
  explicit kv_store(const clock& clk = default_clock());
  kv_store(const kv_store&) = delete;
  kv_store& operator=(const kv_store&) = delete;

  // A copy of the key's entry (sharing the value), or nullopt.
  std::optional<entry> get(std::string_view key) const;

  // Keys in byte order matching the query; O(log n + limit). A limit of 0 returns no items.
  list_page list(const list_query& q) const override;

  // Checks every condition and, when all hold, applies every operation under one new revision
  // (no new revision when no operation writes). Keys must already be validated by the caller.
  // A failed condition is an outcome, not an error; the error path is reserved for the log.
  result<commit_outcome> commit(const commit_request& req);

  // The revision readers see: of the last commit applied to the maps (installed, when staging).
  std::uint64_t revision() const noexcept override { return revision_.load(std::memory_order_acquire); }
  store_stats stats() const;

  // Removes up to `max_keys` keys whose deadline has passed, each as an `expire` commit with its
  // own revision, in deadline order. Bounded so a caller can interleave it with other work.
  // `on_expired(lag_ms)`, when given, learns how late each removal came (for metrics and benches);
  // it runs under the commit lock, so it must be cheap and must not call back into the store.
  expiry_pass expire_due(std::size_t max_keys, const std::function<void(std::int64_t lag_ms)>& on_expired = {});

  const clock& time_source() const noexcept override { return clock_; }

  // --- the log (state_machine; thread-safe) ---

  // From now on every write commit is appended to `log` before it is applied (or staged, when
  // log->visible_when_durable()). Pass nullptr to detach; commits still staged are installed when
  // the log, which must outlive the attachment, reports them durable.
  void attach_log(commit_log* log) override;
  // Adds an observer of applied write commits; it must outlive the store's use of it. Call
  // before serving: observers are not removed.
  void add_observer(commit_observer* o);

  // Runs `at(revision)` under the commit lock: no write commits while it runs. For cutting the log
  // at an exact revision; `at` must be quick. `revision` is the last one handed out, which may be
  // staged and not yet visible: the log holds it, the maps will once it is durable.
  void checkpoint(const std::function<void(std::uint64_t revision)>& at) override;

  static const clock& default_clock();

 private:
  // Recovery (state_machine, before serving): see there. reserve() sizes the maps up front, so
  // loading a snapshot does not rehash as it grows.
  void reserve(std::size_t keys) override;
  void load_entry(std::string_view key, const entry& e) override;
  void set_revision(std::uint64_t revision) override;
  void replay(const replayed_commit& c) override;

  struct deadline {
    std::int64_t at_ms;
    std::uint64_t mod_revision;  // the key's life the deadline belongs to
    std::string key;
    bool operator>(const deadline& o) const noexcept { return at_ms > o.at_ms; }
  };

  // A staged commit: decided and logged, waiting for the log to say it is durable.
  struct staged_commit {
    std::uint64_t ticket = 0;
    commit_request req;                    // a copy: observers see it when it is installed
    commit_outcome out;
    std::vector<std::optional<entry>> after;  // per op that changed its key: the entry it leaves
  };
  // A key's state after the last staged commit that wrote it.
  struct staged_key {
    std::optional<entry> e;  // nullopt: deleted
    std::uint64_t revision = 0;
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  void durable_through(std::uint64_t ticket) noexcept override;
  // `ticket` of the attached log as a durable_ticket (empty when none is attached); commit_mutex_
  // must be held.
  durable_ticket ticket_for(std::uint64_t ticket) const LIVEKV_REQUIRES(commit_mutex_);
  // The commit path's reads of the maps: under commit_mutex_ they do not change (every writer of
  // them holds it too), so these need no map_mutex_ -- which the analysis cannot know, hence the
  // opt-out, confined to these two one-line readers.
  const entry* find_committed(std::string_view key) const LIVEKV_REQUIRES(commit_mutex_)
      LIVEKV_NO_THREAD_SAFETY_ANALYSIS {
    return find_locked(key);
  }
  std::uint64_t ttl_keys_committed() const LIVEKV_REQUIRES(commit_mutex_) LIVEKV_NO_THREAD_SAFETY_ANALYSIS {
    return ttl_keys_;
  }

  // The entry the next commit is decided against: the last staged state of the key, else the
  // maps'. commit_mutex_ must be held.
  const entry* current_locked(std::string_view key) const LIVEKV_REQUIRES(commit_mutex_);
  // A live entry of the decision view: present and not past its deadline at `now_ms`.
  const entry* find_live(std::string_view key, std::int64_t now_ms) const LIVEKV_REQUIRES(commit_mutex_);
  const entry* find_locked(std::string_view key) const LIVEKV_REQUIRES_SHARED(map_mutex_);
  bool holds(const condition& c, const entry* current) const;
  // The commit path proper; commit_mutex_ must be held.
  result<commit_outcome> commit_locked(const commit_request& req, std::int64_t now_ms) LIVEKV_REQUIRES(commit_mutex_);
  // A key past its deadline that a commit touches is first removed by its own expire commit, so
  // every end of a key's life by expiry is an expire operation, whoever notices it first.
  void expire_if_dead_locked(std::string_view key, std::int64_t now_ms) LIVEKV_REQUIRES(commit_mutex_);
  // What `op` does to a key whose current entry is `cur`: fills `out` and returns the entry it
  // leaves (nullopt: the key is gone). Only ops with out.changed are to be installed.
  static std::optional<entry> decide(const operation& op, const entry* cur, std::uint64_t rev, std::int64_t now_ms,
                                     op_outcome& out);
  // Puts `after` in the maps for `key` (found as `n`, null when absent), keeping the counters;
  // map_mutex_ must be held exclusively.
  void install_locked(key_table::node* n, std::string_view key, std::optional<entry> after)
      LIVEKV_REQUIRES(map_mutex_);
  void push_deadline_locked(std::int64_t at_ms, std::uint64_t rev, std::string_view key)
      LIVEKV_REQUIRES(commit_mutex_);

  const clock& clock_;
  // Serializes writers: held from condition check to apply, so a commit sees no interleaving
  // writer and revisions are assigned in apply order. Readers never take it. Taken before
  // map_mutex_. Guards the members below it up to map_mutex_.
  mutable util::mutex commit_mutex_ LIVEKV_ACQUIRED_BEFORE(map_mutex_);
  commit_log* log_ LIVEKV_GUARDED_BY(commit_mutex_) = nullptr;
  std::vector<commit_observer*> observers_ LIVEKV_GUARDED_BY(commit_mutex_);
  // Staging (see the class comment). staging_ is set while the attached log shows commits only
  // once durable; staged_ holds its commits in revision order, overlay_ their effect per key (an
  // entry leaves it once the last commit that wrote it is installed).
  bool staging_ LIVEKV_GUARDED_BY(commit_mutex_) = false;
  std::deque<staged_commit> staged_ LIVEKV_GUARDED_BY(commit_mutex_);
  std::unordered_map<std::string, staged_key, string_hash, std::equal_to<>> overlay_ LIVEKV_GUARDED_BY(commit_mutex_);
  // The last revision handed out; revision_ trails it while commits are staged.
  std::uint64_t assigned_ LIVEKV_GUARDED_BY(commit_mutex_) = 0;
  // Pending deadlines, earliest first. Overwritten or deleted keys leave stale items behind,
  // skipped when popped and purged when they outnumber the live ones. A min-heap (std::push_heap
  // with greater<>) rather than a priority_queue, so that stale items can be filtered out of it in
  // place.
  std::vector<deadline> deadlines_ LIVEKV_GUARDED_BY(commit_mutex_);

  // Guards table_, bytes_, ttl_keys_. Shared for reads, exclusive only while applying. Every
  // writer of them holds commit_mutex_ as well, so the commit path, which holds that, may read
  // them without this one (find_committed).
  mutable util::shared_mutex map_mutex_;
  // Every key with its entry, found by hash and walked in byte order for prefix listing; one
  // allocation per key (see key_table.hpp).
  key_table table_ LIVEKV_GUARDED_BY(map_mutex_);
  std::uint64_t bytes_ LIVEKV_GUARDED_BY(map_mutex_) = 0;
  std::uint64_t ttl_keys_ LIVEKV_GUARDED_BY(map_mutex_) = 0;  // entries with a deadline

  // The revision readers see. Written under commit_mutex_ (and map_mutex_ when it comes with a
  // change of the maps, so a reader never sees a revision whose write it cannot read yet); read
  // lock-free for response headers.
  std::atomic<std::uint64_t> revision_{0};
};

}  // namespace livekv::store
