#pragma once
// The store's view of the write-ahead log: the store calls append() for every write commit, under
// its commit lock and in revision order, before applying it. The log's format lives in wal/.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/durability.hpp"
#include "livekv/status.hpp"
#include "livekv/store/entry.hpp"
#include "livekv/store/operation.hpp"

namespace livekv::store {

struct logged_op {
  operation::kind what = operation::kind::put;  // put, erase or expire
  std::string_view key;
  const value* val = nullptr;     // put only
  std::int64_t expires_at_ms = 0; // put only: absolute deadline, 0 = none
};

struct logged_commit {
  std::uint64_t term = 0;   // reserved for Raft
  std::uint64_t index = 0;  // reserved for Raft
  std::uint64_t revision = 0;
  std::int64_t time_ms = 0;
  std::vector<logged_op> ops;
  commit_request::kind origin = commit_request::kind::write;
};

// A decoded log record, owning its bytes.
struct replayed_op {
  operation::kind what = operation::kind::put;
  std::string key;
  value_ptr val;
  std::int64_t expires_at_ms = 0;
};

struct replayed_commit {
  std::uint64_t term = 0;
  std::uint64_t index = 0;
  std::uint64_t revision = 0;
  std::int64_t time_ms = 0;
  std::vector<replayed_op> ops;
  commit_request::kind origin = commit_request::kind::write;
};

// What a log that shows commits only once they are durable tells the store (see
// commit_log::visible_when_durable).
class durability_listener {
 public:
  virtual ~durability_listener() = default;
  // Every commit appended with a ticket <= `ticket` is durable. Called from the log's own thread,
  // with tickets that only grow, holding no lock of the log, and before the waiters of those
  // tickets are told: a client that got its answer can read its write.
  virtual void durable_through(std::uint64_t ticket) noexcept = 0;
};

// The log is also the durability (livekv/durability.hpp) whose tickets the store hands out with
// each commit's outcome: append() returns the ticket, durability::when_durable waits for it.
class commit_log : public durability {
 public:
  virtual ~commit_log() = default;
  // True when readers may see a commit only once it is durable (--fsync always): the store then
  // holds an appended commit back from readers and the feed until `listener` hears it is durable,
  // so nobody reads a write that a failing disk would lose. False: commits are visible once
  // appended, before they are durable (everysec, no).
  virtual bool visible_when_durable() const noexcept { return false; }
  // The store registers itself when visible_when_durable(); `l` must outlive the log's use of it.
  virtual void set_durability_listener(durability_listener* l) noexcept { (void)l; }
  // Records a commit. Called under the store's commit lock, in revision order; must not block on
  // I/O. Returns a ticket to pass to when_durable (0: nothing to wait for), or errc::read_only
  // when the log has failed, in which case the store does not apply the commit.
  virtual result<std::uint64_t> append(const logged_commit& c) = 0;
};

}  // namespace livekv::store
