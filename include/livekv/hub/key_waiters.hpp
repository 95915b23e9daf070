#pragma once
// The long-poll GETs waiting for one key to change (GET /v1/kv/{key}?wait=R). The hub keeps them
// beside its history: its commit path fires the waiters of the keys a commit wrote, and its
// thread answers them, and times out the others, outside every store lock.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "livekv/hub/event.hpp"
#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::hub {

// Thread-safe: every member may be called from any thread. The commit path calls fire() for each
// commit; it skips the lock while nobody waits, which is exact only because the hub registers a
// waiter (add) while holding its ring's shared lock, so a commit published after the waiter
// checked the ring is fired by a fire() that sees the waiter counted.
class key_waiters {
 public:
  // Told true when the key changed, false at the deadline or at stop().
  using done_fn = std::function<void(bool changed)>;

  // Registers `done` for a change of `key` at a revision > after. Returns false, leaving `done`
  // untouched, once stop() has run: the caller answers it. Thread-safe.
  bool add(std::string key, std::uint64_t after, std::chrono::steady_clock::time_point deadline, done_fn& done);
  // Moves the waiters of the keys `ev` wrote (and waited for an older revision) to the fired list;
  // true when any fired. Called by the commit path: cheap when nobody waits. Thread-safe.
  bool fire(const event& ev);
  // Moves the fired waiters to `out`, to be answered (true) by the caller outside the lock.
  void take_fired(std::vector<done_fn>& out);
  // Moves the waiters whose deadline is <= now to `out`, to be answered (false).
  void take_expired(std::chrono::steady_clock::time_point now, std::vector<done_fn>& out);
  // Refuses further waiters and hands over every one left: `changed` those fired but not yet
  // answered, `rest` those still waiting.
  void stop(std::vector<done_fn>& changed, std::vector<done_fn>& rest);

  std::size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  struct waiter {
    std::uint64_t after;
    std::chrono::steady_clock::time_point deadline;
    done_fn done;
  };

  // Guards waiting_, fired_ and stopped_. count_ mirrors waiting_'s size so that the commit path
  // and the ticks skip the lock while nobody waits.
  mutable util::mutex mutex_;
  std::unordered_multimap<std::string, waiter> waiting_ LIVEKV_GUARDED_BY(mutex_);
  std::vector<done_fn> fired_ LIVEKV_GUARDED_BY(mutex_);  // key changed, not yet answered
  bool stopped_ LIVEKV_GUARDED_BY(mutex_) = false;
  std::atomic<std::size_t> count_{0};
};

}  // namespace livekv::hub
