#pragma once
// What the write-ahead log (wal/) needs of the state it makes durable: to be read out into a
// snapshot, to have its commits logged, and to be loaded back from a snapshot and the log at
// recovery. The log sees the key space only through this; kv_store implements it, and so will the
// Raft node's state machine (which recovers and snapshots the same way).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "livekv/store/clock.hpp"
#include "livekv/store/commit_log.hpp"
#include "livekv/store/entry.hpp"
#include "livekv/store/listing.hpp"

namespace livekv::store {

class state_machine {
 public:
  // --- read out (snapshots): thread-safe, while commits go on ---
  // The revision readers see.
  virtual std::uint64_t revision() const noexcept = 0;
  // Keys in byte order, a page at a time (a snapshot walks the whole key space this way).
  virtual list_page list(const list_query& q) const = 0;
  // The clock deciding expiry (a snapshot records its time).
  virtual const clock& time_source() const noexcept = 0;

  // --- the log: thread-safe ---
  // From now on every write commit is appended to `log` before it is applied; nullptr detaches.
  // `log` must outlive the attachment.
  virtual void attach_log(commit_log* log) = 0;
  // Runs `at(revision)` with no write commit in progress: `revision` is the last one handed to
  // the log, so a log cut there holds exactly the commits after it. `at` must be quick.
  virtual void checkpoint(const std::function<void(std::uint64_t revision)>& at) = 0;

  // --- load back (recovery): before serving, from one thread ---
  // Sizes the key space for `keys` keys up front (a snapshot says how many it holds).
  virtual void reserve(std::size_t keys) = 0;
  // Loads one snapshot entry verbatim.
  virtual void load_entry(std::string_view key, const entry& e) = 0;
  // Sets the revision (a snapshot's end, or where recovery continues past lost commits).
  virtual void set_revision(std::uint64_t revision) = 0;
  // Replays a logged commit. Idempotent per key against a fuzzy snapshot: an op whose key already
  // has mod_revision >= the commit's revision is skipped (the snapshot saw its effect).
  virtual void replay(const replayed_commit& c) = 0;

 protected:
  ~state_machine() = default;
};

}  // namespace livekv::store
